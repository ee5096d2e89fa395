"""Aggregates over the raw store (events and visits), shared by the rollup and the selectors.

The rollup stores exactly what these functions return for a finished day, and the selectors
use them for the days not rolled up yet (today), so a figure never changes when its day is
rolled up. Everything is grouped by day: a visitor counts once per day and value, and sums
over several days are sums of daily unique visitors.

Queries run on SQLite and PostgreSQL alike. A column store would replace this module only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Max, QuerySet

from apps.analytics.models import PAGEVIEW, Event, Visit

# Dimensions read from the event row itself.
EVENT_COLUMNS = {
    "page": "path",
    "referrer": "referrer",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "browser": "browser",
    "os": "os",
    "device": "device",
    "country": "country",
}
# Dimensions of the visit the event belongs to.
VISIT_COLUMNS = {"entry_page": "entry_path", "exit_page": "exit_path"}
DIMENSIONS = (*EVENT_COLUMNS, *VISIT_COLUMNS, "goal")
# What a scope groups events by ("" is the whole site).
SCOPE_COLUMNS: dict[str, str | None] = {
    "": None,
    "page": "path",
    "referrer": "referrer",
    "utm_campaign": "utm_campaign",
    "author": "author_id",
}
# Per rollup scope, the dimensions it keeps ("" = the scope's totals). Entry and exit pages
# are kept site-wide only: within a page, referrer or author they multiply the rows (every
# page's visits enter by many pages) for a breakdown rarely asked for; those are computed
# from raw events. A page's own page breakdown is its row in the site-wide one.
VISIT_LEVEL = (
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "browser",
    "os",
    "device",
    "country",
    "goal",
)
SCOPE_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "": ("", *DIMENSIONS),
    "page": ("", *VISIT_LEVEL),
    "referrer": ("", "page", *VISIT_LEVEL),
    "utm_campaign": ("", "page", *VISIT_LEVEL),
    "author": ("", "page", *VISIT_LEVEL),
}
# Filter names (apps.analytics.selectors.Filters) and the event column each narrows.
FILTER_COLUMNS = {
    "post_id": "post_id",
    "path": "path",
    "referrer": "referrer",
    "utm_campaign": "utm_campaign",
    "author_id": "author_id",
}


@dataclass
class Figures:
    """Counts for one (day, scope value, dimension value); added up across days by callers."""

    visitors: int = 0
    visits: int = 0
    pageviews: int = 0
    bounces: int = 0
    duration: int = 0
    post_id: int | None = None

    def add(self, other: Figures) -> None:
        self.visitors += other.visitors
        self.visits += other.visits
        self.pageviews += other.pageviews
        self.bounces += other.bounces
        self.duration += other.duration
        if self.post_id is None:
            self.post_id = other.post_id


Key = tuple[date, str, str]  # (day, scope value, dimension value)
Value = int | str  # what a filter compares a column with
Param = date | int | str


@dataclass(frozen=True)
class Selection:
    """Which events: days (a list, or an inclusive range) and column equalities."""

    days: Sequence[date] | tuple[date, date]
    equal: tuple[tuple[str, Value], ...] = ()
    is_range: bool = False

    @classmethod
    def between(cls, start: date, end: date, equal: Iterable[tuple[str, Value]] = ()) -> Selection:
        return cls(days=(start, end), equal=tuple(equal), is_range=True)

    @classmethod
    def on(cls, days: Sequence[date], equal: Iterable[tuple[str, Value]] = ()) -> Selection:
        return cls(days=tuple(days), equal=tuple(equal))

    @property
    def empty(self) -> bool:
        return not self.is_range and not self.days

    def events(self) -> QuerySet[Event]:
        events = Event.objects.order_by()
        if self.is_range:
            events = events.filter(day__range=self.days)
        else:
            events = events.filter(day__in=self.days)
        return events.filter(**dict(self.equal))

    def sql(self) -> tuple[str, list[Param]]:
        if self.is_range:
            clauses, params = ["e.day BETWEEN %s AND %s"], list[Param](self.days)
        else:
            marks = ", ".join(["%s"] * len(self.days))
            clauses, params = [f"e.day IN ({marks})"], list[Param](self.days)
        for column, value in self.equal:
            clauses.append(f"e.{column} = %s")
            params.append(value)
        return " AND ".join(clauses), params


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))  # SQLite hands raw SQL dates back as text


def _scope_value(value: object) -> str:
    return "" if value is None else str(value)


def grouped(selection: Selection, dimension: str, scope: str = "") -> dict[Key, Figures]:
    """Figures per (day, scope value, dimension value); dimension "" gives the totals."""
    if selection.empty:
        return {}
    scope_column = SCOPE_COLUMNS[scope]
    if dimension in VISIT_COLUMNS:
        return _by_visit_column(selection, VISIT_COLUMNS[dimension], scope_column)
    events = selection.events()
    if scope_column == "author_id":
        events = events.filter(author_id__isnull=False)
    fields = ["day"] + ([scope_column] if scope_column else [])
    if dimension == "goal":
        events = events.exclude(name=PAGEVIEW)
        fields.append("name")
    else:
        events = events.filter(name=PAGEVIEW)
        if dimension:
            fields.append(EVENT_COLUMNS[dimension])
    rows = events.values(*fields).annotate(
        n_visitors=Count("visitor_id", distinct=True),
        n_visits=Count("visit_id", distinct=True),
        n_events=Count("id"),
        max_post=Max("post_id"),
    )
    keeps_post = dimension == "page" or scope == "page"
    result: dict[Key, Figures] = {}
    for row in rows:
        scope_value = _scope_value(row[scope_column]) if scope_column else ""
        value = str(row[fields[-1]]) if len(fields) > (2 if scope_column else 1) else ""
        result[(row["day"], scope_value, value)] = Figures(
            visitors=row["n_visitors"],
            visits=row["n_visits"],
            pageviews=row["n_events"],
            post_id=row["max_post"] if keeps_post else None,
        )
    if not dimension:
        for key, (bounces, duration) in _visit_totals(selection, scope_column).items():
            if key in result:
                result[key].bounces = bounces
                result[key].duration = duration
    return result


def _distinct_visits_sql(selection: Selection, scope_column: str | None) -> tuple[str, list[Param]]:
    where, params = selection.sql()
    scope_sql = f"e.{scope_column}" if scope_column else "''"
    null_scope = f" AND e.{scope_column} IS NOT NULL" if scope_column == "author_id" else ""
    sql = (
        f"SELECT DISTINCT e.day AS day, {scope_sql} AS scope_value, e.visit_id AS visit_id "  # noqa: S608
        f"FROM {Event._meta.db_table} e WHERE e.name = %s AND e.visit_id IS NOT NULL"
        f"{null_scope} AND {where}"
    )
    return sql, [PAGEVIEW, *params]


def _by_visit_column(
    selection: Selection, column: str, scope_column: str | None
) -> dict[Key, Figures]:
    inner, params = _distinct_visits_sql(selection, scope_column)
    sql = (
        f"SELECT d.day, d.scope_value, v.{column}, COUNT(DISTINCT v.visitor_id), COUNT(*), "  # noqa: S608
        f"SUM(v.pageviews) FROM ({inner}) d JOIN {Visit._meta.db_table} v ON v.id = d.visit_id "
        "GROUP BY 1, 2, 3"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        (_as_date(day), _scope_value(scope_value), value or ""): Figures(
            visitors=visitors, visits=visits, pageviews=int(pageviews or 0)
        )
        for day, scope_value, value, visitors, visits, pageviews in rows
    }


def _visit_totals(selection: Selection, scope_column: str | None) -> dict[Key, tuple[int, int]]:
    """Bounces (visits of one page view) and summed durations of the visits in a scope."""
    inner, params = _distinct_visits_sql(selection, scope_column)
    sql = (
        "SELECT d.day, d.scope_value, "  # noqa: S608
        "SUM(CASE WHEN v.pageviews = 1 THEN 1 ELSE 0 END), SUM(v.duration) "
        f"FROM ({inner}) d JOIN {Visit._meta.db_table} v ON v.id = d.visit_id GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        (_as_date(day), _scope_value(scope_value), ""): (int(bounces or 0), int(duration or 0))
        for day, scope_value, bounces, duration in rows
    }


def hourly(selection: Selection, scope: str = "") -> dict[tuple[datetime, str], Figures]:
    """Totals per (hour, scope value)."""
    if selection.empty:
        return {}
    scope_column = SCOPE_COLUMNS[scope]
    events = selection.events().filter(name=PAGEVIEW)
    if scope_column == "author_id":
        events = events.filter(author_id__isnull=False)
    fields = ["hour", "day"] + ([scope_column] if scope_column else [])
    rows = events.values(*fields).annotate(
        n_visitors=Count("visitor_id", distinct=True),
        n_visits=Count("visit_id", distinct=True),
        n_events=Count("id"),
        max_post=Max("post_id"),
    )
    return {
        (row["hour"], _scope_value(row[scope_column]) if scope_column else ""): Figures(
            visitors=row["n_visitors"],
            visits=row["n_visits"],
            pageviews=row["n_events"],
            post_id=row["max_post"] if scope == "page" else None,
        )
        for row in rows
    }


def live(since: datetime, equal: Iterable[tuple[str, Value]] = ()) -> int:
    """Distinct visitor ids with a page view since `since`."""
    return (
        Event.objects.filter(ts__gte=since, name=PAGEVIEW, **dict(equal))
        .order_by()
        .values("visitor_id")
        .distinct()
        .count()
    )
