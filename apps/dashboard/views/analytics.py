"""The analytics dashboard: the site's (or an author's own) readership for a period.

Parse → call apps.analytics.selectors → render. Editors and admins see the whole site;
authors see their own posts only (every selector call carries `author_id`). Each figure is
compared with the period of equal length just before. The page reads the rollups through
the selectors with a fixed number of queries, however many rows its tables list.

Visitors are counted once per day (the collector's salt changes daily, so nobody can be
followed across days): over several days the page shows the sum of daily visitors and says so.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.analytics import selectors
from apps.analytics.selectors import Dimension, Filters, Row, Summary
from apps.blog.models import Post
from apps.dashboard.charts import LineChart, line_pair
from apps.dashboard.exports import _Echo, safe_cell
from apps.dashboard.forms.analytics import PERIODS, AnalyticsQuery, Period, parse_query
from apps.dashboard.views.base import actor, dashboard_view, render_section

SECTION = "analytics"
VIEW = "analytics.view"  # authors and up; what they see is narrowed below
SITE_WIDE = "analytics.view_site"  # editors and admins: every post, goals
TEMPLATE = "dashboard/analytics/report.html"
TABLE_ROWS: Final = 10
LIVE_MINUTES: Final = 5
POST_PANEL_DAYS: Final = 30
POST_PANEL_REFERRERS: Final = 5


# --------------------------------------------------------------------------
# Figures and their comparison with the previous period
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str
    previous: str
    change: str  # "+12 %", "-3 pp" (a real minus sign), "new", "" when there is nothing to compare
    trend: str  # "up", "down" or "flat", for the arrow and the words read aloud
    good: bool | None  # whether the change is good news (a lower bounce rate is)
    help: str


def percent_change(current: float, previous: float) -> float | None:
    """The change in percent, or None when the previous period had nothing to compare with."""
    if previous == 0:
        return None
    return (current - previous) / previous * 100


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    minutes, rest = divmod(whole, 60)
    if minutes:
        # Translators: a visit's duration, e.g. "3m 05s".
        return gettext("%(minutes)sm %(seconds)ss") % {
            "minutes": minutes,
            "seconds": f"{rest:02d}",
        }
    # Translators: a visit's duration under a minute, e.g. "42s".
    return gettext("%(seconds)ss") % {"seconds": rest}


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _trend(delta: float | None) -> str:
    if delta is None or round(delta) == 0:
        return "flat"
    return "up" if delta > 0 else "down"


def _signed(delta: float, unit: str) -> str:
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    # Translators: "pp" is percentage points, the change of a rate ("-3 pp").
    shown = {"%": "%", "pp": pgettext("percentage points", "pp")}.get(unit, unit)
    return f"{sign}{abs(delta):.0f} {shown}"


def _count_figure(
    key: str, label: str, help: str, current: int, previous: int, *, none_before: bool
) -> Figure:
    delta = percent_change(current, previous)
    if delta is not None:
        change = _signed(delta, "%")
    else:
        # Nothing before: "new" if there is something now, unless the site had no readers at
        # all before (then every figure would say "new", which tells nobody anything).
        # Translators: a figure's change when the previous period had none to compare with.
        change = pgettext("figure change", "new") if current and not none_before else ""
    good = None if delta is None or round(delta) == 0 else delta > 0
    return Figure(
        key,
        label,
        formats.number_format(current, force_grouping=True),
        formats.number_format(previous, force_grouping=True),
        change,
        _trend(delta),
        good,
        help,
    )


def summary_figures(current: Summary, previous: Summary, period: Period) -> list[Figure]:
    """The five headline figures with their change against the previous period."""
    none_before = previous.pageviews == 0
    if period.single_day:
        visitors_label = gettext("Visitors")
        visitors_help = gettext(
            "Different browsers seen that day. Someone who reads on a phone and a laptop "
            "counts twice."
        )
    else:
        visitors_label = gettext("Visitors (sum of daily visitors)")
        visitors_help = gettext(
            "Each day's visitors added up. Someone who comes back on three days counts three "
            "times: visitors cannot be matched across days, by design, so this is not a count "
            "of different people."
        )
    figures = [
        _count_figure("visitors", visitors_label, visitors_help, current.visitors, previous.visitors, none_before=none_before),
        _count_figure(
            "visits", gettext("Visits"), gettext("A visit ends after 30 minutes without a page view."),
            current.visits, previous.visits, none_before=none_before,
        ),
        _count_figure(
            "pageviews", gettext("Page views"),
            gettext("Every page opened with JavaScript on, reloads included."),
            current.pageviews, previous.pageviews, none_before=none_before,
        ),
    ]  # fmt: skip
    bounce_delta = (
        None
        if current.bounce_rate is None or previous.bounce_rate is None
        else (current.bounce_rate - previous.bounce_rate) * 100
    )
    figures.append(
        Figure(
            "bounce_rate",
            gettext("Bounce rate"),
            _rate(current.bounce_rate),
            _rate(previous.bounce_rate),
            "" if bounce_delta is None else _signed(bounce_delta, "pp"),
            _trend(bounce_delta),
            None if bounce_delta is None or round(bounce_delta) == 0 else bounce_delta < 0,
            gettext("Visits that saw one page only. The change is in percentage points."),
        )
    )
    duration_delta = (
        None
        if current.avg_visit_seconds is None or previous.avg_visit_seconds is None
        else percent_change(current.avg_visit_seconds, previous.avg_visit_seconds)
    )
    figures.append(
        Figure(
            "duration",
            gettext("Visit duration"),
            _duration(current.avg_visit_seconds),
            _duration(previous.avg_visit_seconds),
            "" if duration_delta is None else _signed(duration_delta, "%"),
            _trend(duration_delta),
            None if duration_delta is None or round(duration_delta) == 0 else duration_delta > 0,
            gettext(
                "The average time from a visit's first page view to its last; one-page visits "
                "count as zero."
            ),
        )
    )
    return figures


# --------------------------------------------------------------------------
# The time series
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesRow:
    at: datetime
    label: str
    visitors: int
    visits: int
    pageviews: int


@dataclass(frozen=True)
class SeriesChart:
    pageviews: LineChart
    visitors: LineChart
    rows: list[SeriesRow]
    hourly: bool


def past_points(points: list[selectors.Point], period: Period) -> list[selectors.Point]:
    """Hours still to come are not zeros yet: the chart, table and CSV leave them off."""
    if period.interval != "hour":
        return points
    now = timezone.now()
    return [point for point in points if point.bucket <= now]


def series_chart(points: list[selectors.Point], period: Period) -> SeriesChart:
    """Page views and visitors on one scale, per hour for one day, per day otherwise."""
    hourly = period.interval == "hour"
    # Translators: the chart's day labels (Django's date filter syntax), e.g. "Jan 5".
    fmt = "H:i" if hourly else gettext("M j")
    # Translators: a day in the chart's table (Django's date filter syntax), e.g. "Mon Jan 5".
    row_format = "H:i" if hourly else gettext("D M j")
    rows = []
    for point in past_points(points, period):
        at = timezone.localtime(point.bucket) if timezone.is_aware(point.bucket) else point.bucket
        label = formats.date_format(at, row_format)
        rows.append(SeriesRow(at, label, point.visitors, point.visits, point.pageviews))
    pageviews, visitors = line_pair(
        [(row.at, row.pageviews) for row in rows],
        [(row.at, row.visitors) for row in rows],
        label_format=fmt,
    )
    return SeriesChart(pageviews, visitors, rows, hourly)


# --------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    label: str
    visitors: int
    visits: int
    pageviews: int
    filter_query: str  # "?…" that filters the dashboard by this row, "" when it cannot
    share: float  # the row's page views in percent of the table's largest, for the bar


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    column: str  # what the first column holds
    rows: list[TableRow]
    note: str = ""
    count_label: str = ""  # "Page views" unless given
    # Goals recorded by the server (a confirmed subscription) carry no visitor id.
    show_visitors: bool = True


# (key, dimension, title, first column, query-string filter the rows link to)
TABLES: Final[tuple[tuple[str, Dimension, Any, Any, str], ...]] = (
    ("entry_pages", "entry_page", _("Entry pages"), _("Page"), "path"),
    ("exit_pages", "exit_page", _("Exit pages"), _("Page"), "path"),
    ("referrers", "referrer", _("Referrers"), _("Source"), "referrer"),
    ("campaigns", "utm_campaign", _("UTM campaigns"), _("Campaign"), "campaign"),
    ("browsers", "browser", _("Browsers"), _("Browser"), ""),
    ("systems", "os", _("Operating systems"), _("System"), ""),
    ("devices", "device", _("Devices"), _("Device"), ""),
)
# The selectors name a missing value "(none)" (and accept it back as a filter: direct visits).
NONE_VALUE: Final = "(none)"
NONE_LABELS: Final = {"referrer": _("Direct or unknown"), "utm_campaign": _("No campaign")}


# The server-side goals of apps.analytics.services.GOALS, in words.
GOAL_LABELS: Final = {
    "newsletter_confirmed": _("Newsletter subscription confirmed"),
    "comment_posted": _("Comment posted"),
    "signed_up": _("Account created"),
}


def row_label(value: str, dimension: str) -> str:
    if value in ("", NONE_VALUE):
        return str(NONE_LABELS.get(dimension, _("Unknown")))
    if dimension == "goal":
        return str(GOAL_LABELS.get(value, value))
    return value


def _share(value: int, largest: int) -> float:
    return round(value * 100 / largest, 1) if largest else 0.0


def geoip_configured() -> bool:
    """Countries are known only when the operator gave the collector a GeoIP database."""
    return bool(getattr(settings, "ANALYTICS_GEOIP_PATH", ""))


def _table_rows(
    rows: list[Row], query: AnalyticsQuery, link_key: str, dimension: str
) -> list[TableRow]:
    largest = max((row.pageviews for row in rows), default=0)
    result = []
    for row in rows:
        label = row_label(row.value, dimension)
        link = query.query(**{link_key: row.value}) if link_key and row.value else ""
        result.append(
            TableRow(
                label, row.visitors, row.visits, row.pageviews, link, _share(row.pageviews, largest)
            )
        )
    return result


def _post_titles(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(Post.objects.filter(pk__in=ids).values_list("pk", "title"))


def top_posts_table(
    query: AnalyticsQuery, author_id: int | None, *, limit: int = TABLE_ROWS
) -> Table:
    """The most read posts of the period (two queries: the figures, then the titles)."""
    period = query.period
    pairs = selectors.posts_with_stats(period.start, period.end, author_id=author_id, limit=limit)
    titles = _post_titles([post_id for post_id, _ in pairs])
    largest = max((row.pageviews for _, row in pairs), default=0)
    rows = [
        TableRow(
            titles.get(post_id, gettext("Post #%(id)s (deleted)") % {"id": post_id}),
            row.visitors,
            row.visits,
            row.pageviews,
            query.query(post=post_id),
            _share(row.pageviews, largest),
        )
        for post_id, row in pairs
    ]
    return Table(
        "posts", gettext("Top posts"), gettext("Post"), rows, count_label=gettext("Page views")
    )


def report_tables(
    query: AnalyticsQuery, filters: Filters, *, site_wide: bool, limit: int = TABLE_ROWS
) -> list[Table]:
    """Every table of the report: one query each (top posts two), whatever the row count."""
    period = query.period
    tables = [top_posts_table(query, filters.author_id, limit=limit)]
    for key, dimension, title, column, link_key in TABLES:
        rows = selectors.breakdown(dimension, period.start, period.end, filters, limit=limit)
        tables.append(
            Table(
                key,
                str(title),
                str(column),
                _table_rows(rows, query, link_key, dimension),
                count_label=gettext("Page views"),
            )
        )
    if geoip_configured():
        rows = selectors.breakdown("country", period.start, period.end, filters, limit=limit)
        tables.append(
            Table(
                "countries",
                gettext("Countries"),
                gettext("Country"),
                _table_rows(rows, query, "", "country"),
                count_label=gettext("Page views"),
            )
        )
    if site_wide:
        rows = selectors.breakdown("goal", period.start, period.end, filters, limit=limit)
        tables.append(
            Table(
                "goals", gettext("Goals"), gettext("Goal"), _table_rows(rows, query, "", "goal"),
                note=gettext(
                    "Things readers did on the server's side: confirmed a newsletter "
                    "subscription, posted a comment, signed up."
                ),
                count_label=gettext("Conversions"), show_visitors=False,
            )
        )  # fmt: skip
    return tables


# --------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------


def _author_scope(user: User) -> int | None:
    """None for editors and admins (the whole site); the author's own id otherwise."""
    return None if can(user, SITE_WIDE) else user.pk


def _check_post(query: AnalyticsQuery, author_id: int | None) -> None:
    """Resolve the post filter's title; drop it with a message if it is not one the user may see."""
    if query.post_id is None:
        return
    post = Post.objects.filter(pk=query.post_id).values("title", "author_id").first()
    if post is None:
        query.errors.append(
            gettext("There is no post number %(id)s, so that filter was left out.")
            % {"id": query.post_id}
        )
        query.post_id = None
    elif author_id is not None and post["author_id"] != author_id:
        query.errors.append(
            gettext("You can see the figures of your own posts only, so that filter was left out.")
        )
        query.post_id = None
    else:
        query.post_title = post["title"]


def _query_for(request: HttpRequest) -> tuple[AnalyticsQuery, Any, int | None]:
    query, range_form = parse_query(request.GET)
    author_id = _author_scope(actor(request))
    _check_post(query, author_id)
    return query, range_form, author_id


def report_context(request: HttpRequest) -> dict[str, Any]:
    query, range_form, author_id = _query_for(request)
    period = query.period
    filters = query.filters(author_id=author_id)
    current = selectors.summary(period.start, period.end, filters)
    previous = selectors.summary(period.previous_start, period.previous_end, filters)
    points = selectors.timeseries(period.start, period.end, filters, interval=period.interval)
    base = reverse("dashboard:analytics")
    return {
        "query": query,
        "period": period,
        "periods": [(key, label, query.query(period=key)) for key, label in PERIODS.items()],
        "range_form": range_form,
        "figures": summary_figures(current, previous, period),
        "summary": current,
        "visitors_column": (
            gettext("Visitors") if period.single_day else gettext("Daily visitors, summed")
        ),
        "series": series_chart(points, period),
        "tables": report_tables(query, filters, site_wide=author_id is None),
        "countries_configured": geoip_configured(),
        "site_wide": author_id is None,
        "live": selectors.live_visitors(minutes=LIVE_MINUTES, filters=filters),
        "live_minutes": LIVE_MINUTES,
        "live_url": reverse("dashboard:analytics_live") + query.query(),
        "export_url": reverse("dashboard:analytics_export") + query.query(),
        "base_url": base,
        "clear_url": base + query.query(post=None, path=None, referrer=None, campaign=None),
        "current": "analytics",
    }


@require_safe
@never_cache
@dashboard_view(VIEW)
def analytics(request: HttpRequest) -> HttpResponse:
    return render_section(request, TEMPLATE, "analytics-report", SECTION, report_context(request))


@require_safe
@never_cache
@dashboard_view(VIEW)
def analytics_live(request: HttpRequest) -> HttpResponse:
    """The "people on the site now" figure alone, polled by the page every ten seconds."""
    query, _, author_id = _query_for(request)
    context = {
        "live": selectors.live_visitors(
            minutes=LIVE_MINUTES, filters=query.filters(author_id=author_id)
        ),
        "live_minutes": LIVE_MINUTES,
        "live_url": reverse("dashboard:analytics_live") + query.query(),
        "query": query,
        "site_wide": author_id is None,
    }
    # Always the fragment: the endpoint exists for the poll, the page itself is /analytics/.
    return render(request, f"{TEMPLATE}#live-visitors", context)


# --------------------------------------------------------------------------
# CSV export
# --------------------------------------------------------------------------

CSV_HEADER: Final = [
    "table",
    "row",
    "visitors",
    "visits",
    "pageviews",
    "bounce_rate",
    "avg_visit_seconds",
]


def _summary_line(label: str, numbers: Summary) -> list[Any]:
    return [
        "summary",
        label,
        numbers.visitors,
        numbers.visits,
        numbers.pageviews,
        "" if numbers.bounce_rate is None else f"{numbers.bounce_rate:.4f}",
        "" if numbers.avg_visit_seconds is None else f"{numbers.avg_visit_seconds:.1f}",
    ]


def analytics_csv_lines(query: AnalyticsQuery, author_id: int | None) -> Iterator[str]:
    """The view as CSV: the summaries, the time series, then every table (filters applied)."""
    writer = csv.writer(_Echo())
    period = query.period
    filters = query.filters(author_id=author_id)
    yield writer.writerow(CSV_HEADER)
    current = selectors.summary(period.start, period.end, filters)
    yield writer.writerow(
        [safe_cell(cell) for cell in _summary_line(f"{period.start}..{period.end}", current)]
    )
    previous = selectors.summary(period.previous_start, period.previous_end, filters)
    yield writer.writerow(
        [
            safe_cell(cell)
            for cell in _summary_line(f"{period.previous_start}..{period.previous_end}", previous)
        ]
    )
    points = selectors.timeseries(period.start, period.end, filters, interval=period.interval)
    for point in past_points(points, period):
        at = timezone.localtime(point.bucket) if timezone.is_aware(point.bucket) else point.bucket
        stamp = at.isoformat() if period.interval == "hour" else at.date().isoformat()
        yield writer.writerow(
            [
                safe_cell(cell)
                for cell in [
                    "time series",
                    stamp,
                    point.visitors,
                    point.visits,
                    point.pageviews,
                    "",
                    "",
                ]
            ]
        )
    for table in report_tables(query, filters, site_wide=author_id is None, limit=EXPORT_ROWS):
        for row in table.rows:
            yield writer.writerow(
                [
                    safe_cell(cell)
                    for cell in [
                        table.title,
                        row.label,
                        row.visitors,
                        row.visits,
                        row.pageviews,
                        "",
                        "",
                    ]
                ]
            )


EXPORT_ROWS: Final = 1000


@require_safe
@never_cache
@dashboard_view(VIEW)
def analytics_export(request: HttpRequest) -> StreamingHttpResponse:
    query, _, author_id = _query_for(request)
    response = StreamingHttpResponse(
        analytics_csv_lines(query, author_id), content_type="text/csv; charset=utf-8"
    )
    name = f"analytics-{query.period.start:%Y%m%d}-{query.period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --------------------------------------------------------------------------
# The post editor's panel
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PostFigures:
    days: int
    visitors: int
    pageviews: int
    referrers: list[tuple[str, int]]  # (host or "Direct or unknown", page views)
    dashboard_url: str


def post_figures(post: Post, *, today: date | None = None) -> PostFigures | None:
    """The last 30 days of one post (two queries); None for a post never published."""
    if post.published_at is None:
        return None
    today = today or timezone.localdate()
    start = today - timedelta(days=POST_PANEL_DAYS - 1)
    filters = Filters(post_id=post.pk)
    numbers = selectors.summary(start, today, filters)
    referrers = selectors.breakdown("referrer", start, today, filters, limit=POST_PANEL_REFERRERS)
    url = reverse("dashboard:analytics") + f"?period=30d&post={post.pk}"
    sources = [(row_label(row.value, "referrer"), row.pageviews) for row in referrers]
    return PostFigures(POST_PANEL_DAYS, numbers.visitors, numbers.pageviews, sources, url)
