"""Visitor statistics for the dashboard and the API (reads only).

Figures for days already rolled up come from the rollups (`DailyRollup`, `HourlyRollup`);
days not rolled up yet are computed from the raw events with the very code the rollup uses
(apps.analytics.raw), so figures never jump when a day is rolled up. Today is always
included: from raw events, or from its provisional rollup when ANALYTICS_TODAY_ROLLUP_SECONDS
is set (busy sites; then up to that many seconds behind). `live_visitors` always reads raw.

One filter at a time is served by a rollup scope; combinations are computed from the raw
events, which are kept ANALYTICS_RAW_RETENTION_DAYS only (older days then read as zero).

"visitors" is always a sum of daily unique visitors: visitor ids change every day by design,
so the same person on two days is two visitors. Never label it "people".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from django.db.models import QuerySet, Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role, has_role
from apps.analytics import raw
from apps.analytics.models import DailyRollup, HourlyRollup, RolledDay
from apps.blog.selectors import post_is_by_author

NONE_LABEL = "(none)"


@dataclass(frozen=True)
class Filters:
    """What to narrow the figures to; all optional, combined with AND."""

    post_id: int | None = None
    path: str | None = None
    referrer: str | None = None  # referrer host; "(none)" for direct visits
    utm_campaign: str | None = None
    author_id: int | None = None  # only pages of posts by this author (the authors' view)

    def active(self) -> dict[str, raw.Value]:
        found: dict[str, raw.Value] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is not None:
                found[field.name] = "" if value == NONE_LABEL else value
        return found


@dataclass(frozen=True)
class Summary:
    visitors: int  # sum of DAILY unique visitors over the range (never "people")
    visits: int
    pageviews: int
    bounce_rate: float | None  # 0..1, None when no visits
    avg_visit_seconds: float | None


@dataclass(frozen=True)
class Point:
    bucket: datetime  # aware, start of the hour/day in the site's time zone
    visitors: int
    visits: int
    pageviews: int


@dataclass(frozen=True)
class Row:
    value: str  # the dimension's value ("(none)" for direct / unknown)
    visitors: int
    visits: int
    pageviews: int  # for goals: number of conversions


Dimension = Literal[
    "page",
    "entry_page",
    "exit_page",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "browser",
    "os",
    "device",
    "country",
    "goal",
]
DIMENSIONS: tuple[str, ...] = raw.DIMENSIONS


@dataclass(frozen=True)
class _Scope:
    """A rollup scope that answers a filter, or `fallback` (raw events) / `nothing` (no rows)."""

    scope: str = ""
    value: str | None = None
    post_id: int | None = None
    fallback: bool = False
    nothing: bool = False


def _scope_for(filters: Filters) -> tuple[_Scope, list[tuple[str, raw.Value]]]:
    active = filters.active()
    if "post_id" in active and "author_id" in active:
        # An author looking at one of their posts: the post's own figures, or none at all.
        if not post_is_by_author(int(filters.post_id or 0), int(filters.author_id or 0)):
            return _Scope(nothing=True), []
        del active["author_id"]
    equal = [(raw.FILTER_COLUMNS[name], value) for name, value in active.items()]
    if not active:
        return _Scope(), equal
    if len(active) > 1:
        return _Scope(fallback=True), equal
    ((name, value),) = active.items()
    if name == "post_id":
        return _Scope(scope="page", post_id=int(str(value))), equal
    scope = {"path": "page", "referrer": "referrer", "utm_campaign": "utm_campaign"}.get(
        name, "author"
    )
    return _Scope(scope=scope, value=str(value)), equal


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _unrolled_days(start: date, end: date) -> list[date]:
    rolled = set(RolledDay.objects.filter(day__range=(start, end)).values_list("day", flat=True))
    return [day for day in _days(start, end) if day not in rolled]


def _rollups(scope: _Scope, dimension: str, start: date, end: date) -> QuerySet[DailyRollup]:
    rows = DailyRollup.objects.filter(day__range=(start, end)).order_by()
    if scope.scope == "page" and dimension == "page":
        # A page's own row in the site-wide page breakdown.
        rows = rows.filter(scope="", dimension="page")
        if scope.post_id is not None:
            return rows.filter(post_id=scope.post_id)
        return rows.filter(value=scope.value)
    rows = rows.filter(scope=scope.scope, dimension=dimension)
    if scope.post_id is not None:
        return rows.filter(post_id=scope.post_id)
    return rows.filter(scope_value=scope.value or "")


def _raw_selection(
    scope: _Scope, equal: list[tuple[str, raw.Value]], start: date, end: date
) -> raw.Selection:
    if scope.fallback:
        return raw.Selection.between(start, end, equal)
    return raw.Selection.on(_unrolled_days(start, end), equal)


def _folded(
    dimension: str, start: date, end: date, filters: Filters
) -> dict[tuple[str, int | None], raw.Figures]:
    """Figures per (value, post id) over the range: rollups plus raw days."""
    scope, equal = _scope_for(filters)
    totals: dict[tuple[str, int | None], raw.Figures] = defaultdict(raw.Figures)
    if scope.nothing or start > end:
        return totals
    rolled = raw.SCOPE_DIMENSIONS[scope.scope] + (("page",) if scope.scope == "page" else ())
    if not scope.fallback and dimension not in rolled:
        scope = replace(scope, fallback=True)  # not kept in this scope's rollups
    keep_post = dimension == "page"
    if not scope.fallback:
        rows = (
            _rollups(scope, dimension, start, end)
            .values("value", "post_id")
            .annotate(
                s_visitors=Sum("visitors"),
                s_visits=Sum("visits"),
                s_pageviews=Sum("pageviews"),
                s_bounces=Sum("bounces"),
                s_duration=Sum("duration"),
            )
        )
        for row in rows:
            totals[(row["value"], row["post_id"] if keep_post else None)].add(
                raw.Figures(
                    visitors=row["s_visitors"] or 0,
                    visits=row["s_visits"] or 0,
                    pageviews=row["s_pageviews"] or 0,
                    bounces=row["s_bounces"] or 0,
                    duration=row["s_duration"] or 0,
                )
            )
    selection = _raw_selection(scope, equal, start, end)
    for (_day, _scope_value, value), figures in raw.grouped(selection, dimension).items():
        totals[(value, figures.post_id if keep_post else None)].add(figures)
    return totals


def summary(start: date, end: date, filters: Filters = Filters()) -> Summary:
    """Visitors, visits, page views, bounce rate and visit duration over start..end (inclusive)."""
    figures = raw.Figures()
    for found in _folded("", start, end, filters).values():
        figures.add(found)
    visits = figures.visits
    return Summary(
        visitors=figures.visitors,
        visits=visits,
        pageviews=figures.pageviews,
        bounce_rate=figures.bounces / visits if visits else None,
        avg_visit_seconds=figures.duration / visits if visits else None,
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _hours(start: date, end: date) -> list[datetime]:
    """Every hour from start's midnight to the end of `end`, in the site's time zone."""
    first = _day_start(start).astimezone(UTC)
    last = _day_start(end + timedelta(days=1)).astimezone(UTC)
    local = timezone.get_current_timezone()
    count = int((last - first).total_seconds() // 3600)
    return [(first + timedelta(hours=n)).astimezone(local) for n in range(count)]


def timeseries(
    start: date,
    end: date,
    filters: Filters = Filters(),
    *,
    interval: Literal["hour", "day"] = "day",
) -> list[Point]:
    """One point per hour or day of start..end, zeros included."""
    scope, equal = _scope_for(filters)
    counts: dict[datetime, raw.Figures] = defaultdict(raw.Figures)
    if not scope.nothing and start <= end:
        if interval == "day":
            _fill_days(counts, scope, equal, start, end)
        else:
            _fill_hours(counts, scope, equal, start, end)
    buckets = (
        [_day_start(day) for day in _days(start, end)]
        if interval == "day"
        else (_hours(start, end))
    )
    return [
        Point(
            bucket=bucket,
            visitors=counts[bucket].visitors,
            visits=counts[bucket].visits,
            pageviews=counts[bucket].pageviews,
        )
        for bucket in buckets
    ]


def _fill_days(
    counts: dict[datetime, raw.Figures],
    scope: _Scope,
    equal: list[tuple[str, raw.Value]],
    start: date,
    end: date,
) -> None:
    if not scope.fallback:
        rows = (
            _rollups(scope, "", start, end)
            .values("day")
            .annotate(v=Sum("visitors"), s=Sum("visits"), p=Sum("pageviews"))
        )
        for row in rows:
            counts[_day_start(row["day"])].add(
                raw.Figures(visitors=row["v"], visits=row["s"], pageviews=row["p"])
            )
    for (day, _scope_value, _value), figures in raw.grouped(
        _raw_selection(scope, equal, start, end), ""
    ).items():
        counts[_day_start(day)].add(figures)


def _fill_hours(
    counts: dict[datetime, raw.Figures],
    scope: _Scope,
    equal: list[tuple[str, raw.Value]],
    start: date,
    end: date,
) -> None:
    if not scope.fallback:
        rows = HourlyRollup.objects.filter(day__range=(start, end), scope=scope.scope).order_by()
        if scope.post_id is not None:
            rows = rows.filter(post_id=scope.post_id)
        else:
            rows = rows.filter(scope_value=scope.value or "")
        for hour, visitors, visits, pageviews in rows.values_list(
            "hour", "visitors", "visits", "pageviews"
        ):
            counts[hour].add(raw.Figures(visitors=visitors, visits=visits, pageviews=pageviews))
    for (hour, _scope_value), figures in raw.hourly(
        _raw_selection(scope, equal, start, end)
    ).items():
        counts[hour].add(figures)


def _label(value: str) -> str:
    return value or NONE_LABEL


def _ranked(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: (-row.visitors, -row.pageviews, row.value))


def breakdown(
    dimension: Dimension,
    start: date,
    end: date,
    filters: Filters = Filters(),
    *,
    limit: int = 10,
    offset: int = 0,
) -> list[Row]:
    """The top values of one dimension over start..end, most visitors first."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    merged: dict[str, raw.Figures] = defaultdict(raw.Figures)
    for (value, _post_id), figures in _folded(dimension, start, end, filters).items():
        merged[value].add(figures)
    rows = _ranked(
        Row(value=_label(value), visitors=f.visitors, visits=f.visits, pageviews=f.pageviews)
        for value, f in merged.items()
    )
    return rows[offset : offset + max(0, limit)]


def live_visitors(*, minutes: int = 5, filters: Filters = Filters()) -> int:
    """Distinct visitor ids with a page view in the last `minutes` (recorded events only)."""
    scope, equal = _scope_for(filters)
    if scope.nothing:
        return 0
    return raw.live(timezone.now() - timedelta(minutes=minutes), equal)


def posts_with_stats(
    start: date, end: date, *, author_id: int | None = None, limit: int = 10
) -> list[tuple[int, Row]]:
    """The most visited posts over start..end as (post id, Row with the post's main path)."""
    per_post: dict[int, raw.Figures] = defaultdict(raw.Figures)
    best_path: dict[int, tuple[int, str]] = {}
    folded = _folded("page", start, end, Filters(author_id=author_id))
    for (path, post_id), figures in folded.items():
        if post_id is None:
            continue
        per_post[post_id].add(figures)
        if figures.pageviews > best_path.get(post_id, (-1, ""))[0]:
            best_path[post_id] = (figures.pageviews, path)
    ranked = sorted(
        per_post.items(), key=lambda item: (-item[1].visitors, -item[1].pageviews, item[0])
    )
    return [
        (
            post_id,
            Row(
                value=best_path[post_id][1],
                visitors=f.visitors,
                visits=f.visits,
                pageviews=f.pageviews,
            ),
        )
        for post_id, f in ranked[: max(0, limit)]
    ]


def filters_for_viewer(user: User, filters: Filters = Filters()) -> Filters | None:
    """The figures `user` may see, narrowed by `filters`: all (editors, admins), only their
    own posts (authors: author_id forced to theirs), or None (nobody else)."""
    if has_role(user, Role.EDITOR):
        return filters
    if has_role(user, Role.AUTHOR):
        return replace(filters, author_id=user.pk)
    return None
