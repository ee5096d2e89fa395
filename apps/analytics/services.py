"""Writes of the analytics app: the batch writer, goals, rollups, pruning.

`record_events` turns buffered events into rows: it joins each page view to the visitor's
open visit (30 minutes idle ends one; yesterday's id continues a visit over midnight), finds
the post behind a path, and bulk-inserts events and visits in one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils import timezone, translation

from apps.analytics import buffer, metrics, partitions
from apps.analytics.bulk import write_rows
from apps.analytics.models import PAGEVIEW, Event, RolledDay, Visit
from apps.analytics.rollup import roll_up_day
from apps.analytics.visitors import purge_salts
from apps.blog.selectors import post_owners_by_slug

logger = structlog.get_logger("inkwell.analytics")

# Server-side goals (the "goal" breakdown shows these names).
GOALS = ("newsletter_confirmed", "comment_posted", "signed_up")
MAX_VISIT_ID = 2**63 - 1
ROLLUP_EVERY_SECONDS = 3600


def _owners(paths: set[str]) -> dict[str, tuple[int, int]]:
    """Post id and author id for the paths that are post pages.

    A path names its post by language and slug (a translation may share its original's
    slug), and a prefixed path resolves only with its language active.
    """
    keys: dict[str, tuple[str, str]] = {}
    for path in paths:
        language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
        with translation.override(language):
            try:
                match = resolve(path)
            except Resolver404:
                continue
        if match.view_name == "blog:post_detail":
            keys[path] = (language, match.kwargs["slug"])
    found = post_owners_by_slug(list(set(keys.values()))) if keys else {}
    return {path: found[key] for path, key in keys.items() if key in found}


def _moment(event: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(event["t"]), tz=UTC)


def _event_row(event: dict[str, Any], at: datetime, owners: dict[str, tuple[int, int]]) -> Event:
    path = str(event.get("p", ""))
    post_id, author_id = owners.get(path, (None, None))
    return Event(
        day=timezone.localdate(at),
        hour=at.replace(minute=0, second=0, microsecond=0),
        ts=at,
        name=str(event.get("n", PAGEVIEW)),
        path=path,
        post_id=post_id,
        author_id=author_id,
        referrer=str(event.get("r", "")),
        utm_source=str(event.get("us", "")),
        utm_medium=str(event.get("um", "")),
        utm_campaign=str(event.get("uc", "")),
        browser=str(event.get("b", "")),
        os=str(event.get("o", "")),
        device=str(event.get("d", "")),
        country=str(event.get("c", "")),
    )


@transaction.atomic
def record_events(events: Sequence[dict[str, Any]]) -> int:
    """Write a batch of buffered events (apps.analytics.beacons.event); return rows written."""
    if not events:
        return 0
    ordered = sorted(events, key=lambda event: float(event["t"]))
    idle = timedelta(minutes=settings.ANALYTICS_VISIT_IDLE_MINUTES)
    owners = _owners({str(event.get("p", "")) for event in ordered})
    candidates = {event["v"] for event in ordered if event.get("v") is not None} | {
        event["pv"] for event in ordered if event.get("pv") is not None
    }
    open_visits: dict[int, Visit] = {}
    if candidates:
        recent = Visit.objects.filter(
            visitor_id__in=candidates, last_seen_at__gte=_moment(ordered[0]) - idle
        ).order_by("last_seen_at")
        open_visits = {visit.visitor_id: visit for visit in recent}
    new_visits: dict[int, Visit] = {}
    changed: dict[int, Visit] = {}
    rows = []
    for event in ordered:
        at = _moment(event)
        row = _event_row(event, at, owners)
        rows.append(row)
        if event.get("v") is None:  # a server-side goal: no visitor, no visit
            continue
        visit = _open_visit(open_visits, event, at, idle)
        if visit is None:
            visit = _start_visit(event, at, row)
            new_visits[visit.id] = visit
            open_visits[visit.visitor_id] = visit
        elif row.name == PAGEVIEW:
            if at >= visit.last_seen_at:
                visit.last_seen_at = at
                visit.exit_path = row.path
            visit.duration = int((visit.last_seen_at - visit.started_at).total_seconds())
            visit.pageviews += 1
            if visit.id not in new_visits:
                changed[visit.id] = visit
        row.visitor_id = visit.visitor_id
        row.visit_id = visit.id
    write_rows(Visit, VISIT_COLUMNS, [_values(v, VISIT_COLUMNS) for v in new_visits.values()])
    Visit.objects.bulk_update(
        changed.values(), ["last_seen_at", "exit_path", "duration", "pageviews"], batch_size=1000
    )
    write_rows(Event, EVENT_COLUMNS, [_values(e, EVENT_COLUMNS) for e in rows])
    metrics.written.inc(len(rows))
    return len(rows)


VISIT_COLUMNS = tuple(f.column for f in Visit._meta.concrete_fields)
EVENT_COLUMNS = tuple(f.column for f in Event._meta.concrete_fields if not f.primary_key)


def _values(row: Visit | Event, columns: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(row, column) for column in columns)


def _open_visit(
    open_visits: dict[int, Visit], event: dict[str, Any], at: datetime, idle: timedelta
) -> Visit | None:
    """The visit this event continues: today's id first, then yesterday's (over midnight)."""
    for visitor in (event.get("v"), event.get("pv")):
        if visitor is None:
            continue
        visit = open_visits.get(int(visitor))
        if visit is not None and at - visit.last_seen_at <= idle:
            return visit
    return None


def _start_visit(event: dict[str, Any], at: datetime, row: Event) -> Visit:
    return Visit(
        id=secrets.randbelow(MAX_VISIT_ID) + 1,
        visitor_id=int(event["v"]),
        day=row.day,
        started_at=at,
        last_seen_at=at,
        duration=0,
        pageviews=1 if row.name == PAGEVIEW else 0,
        entry_path=row.path,
        exit_path=row.path,
        referrer=row.referrer,
        utm_source=row.utm_source,
        utm_medium=row.utm_medium,
        utm_campaign=row.utm_campaign,
        browser=row.browser,
        os=row.os,
        device=row.device,
        country=row.country,
    )


def record_goal(name: str, *, path: str = "") -> None:
    """Count a server-side goal once the caller's transaction commits (never fails it).

    `path` ties the goal to a page (a comment to its post); the writer finds the post.
    """
    if name not in GOALS:
        raise ValueError(f"unknown goal {name!r}")
    if not settings.ANALYTICS_ENABLED:
        return

    def queue_goal() -> None:
        # No visitor: a goal is counted, never tied to a reader.
        event: dict[str, Any] = {"t": timezone.now().timestamp(), "v": None, "n": name, "p": path}
        buffer.push(event)

    transaction.on_commit(queue_goal, robust=True)


def _roll_due_days(today: date) -> list[date]:
    """Finished days within retention that are not rolled up, or were rolled too early."""
    oldest = today - timedelta(days=settings.ANALYTICS_RAW_RETENTION_DAYS)
    with_events = set(
        Event.objects.filter(day__gte=oldest, day__lt=today)
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )
    rolled = dict(RolledDay.objects.filter(day__gte=oldest).values_list("day", "rolled_at"))
    # A day's last visits end (and reach the drain) up to an idle period after its midnight;
    # a day rolled up before that (provisionally, during the day) is rolled up again.
    idle = timedelta(minutes=settings.ANALYTICS_VISIT_IDLE_MINUTES + 5)
    now = timezone.now()
    due = []
    for day in sorted(with_events | set(rolled)):
        if day >= today:
            continue
        settled = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)) + idle
        rolled_at = rolled.get(day)
        if rolled_at is None or rolled_at < settled <= now:
            due.append(day)
    return due


def roll_up_today() -> bool:
    """Roll today up provisionally when ANALYTICS_TODAY_ROLLUP_SECONDS says it is due.

    The selectors then read today's rollups instead of aggregating today's raw events on
    every request (what keeps the dashboard fast on a busy site). The day is rolled up again,
    for good, after midnight (`roll_up`).
    """
    every = settings.ANALYTICS_TODAY_ROLLUP_SECONDS
    if every <= 0:
        return False
    today = timezone.localdate()
    last = RolledDay.objects.filter(day=today).values_list("rolled_at", flat=True).first()
    if last is not None and timezone.now() - last < timedelta(seconds=every):
        return False
    roll_up_day(today)
    return True


def roll_up(today: date | None = None) -> list[date]:
    """Roll up every due day, create partitions ahead, delete old salts; return the days."""
    today = today or timezone.localdate()
    partitions.ensure_partitions(today, partitions.add_months(today, partitions.MONTHS_AHEAD))
    days = _roll_due_days(today)
    for day in days:
        roll_up_day(day)
    purge_salts(today)
    return days


def prune(today: date | None = None) -> tuple[int, int]:
    """Delete raw events and visits older than ANALYTICS_RAW_RETENTION_DAYS; return counts.

    Days not rolled up yet are rolled up first, so pruning never loses a figure.
    """
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.ANALYTICS_RAW_RETENTION_DAYS)
    old_days = set(
        Event.objects.filter(day__lt=cutoff).order_by().values_list("day", flat=True).distinct()
    )
    rolled = set(RolledDay.objects.filter(day__in=old_days).values_list("day", flat=True))
    for day in sorted(old_days - rolled):
        roll_up_day(day)
    dropped = partitions.drop_partitions_before(cutoff)
    if dropped:
        logger.info("analytics.partitions_dropped", partitions=dropped)
    events, _ = Event.objects.filter(day__lt=cutoff).delete()
    visits, _ = Visit.objects.filter(
        last_seen_at__lt=timezone.now() - timedelta(days=settings.ANALYTICS_RAW_RETENTION_DAYS)
    ).delete()
    return events, visits


def drain_due() -> int:
    """The embedded periodic job: write waiting events, and roll up / prune once an hour."""
    written = buffer.drain(time_budget=5.0)
    roll_up_today()
    if cache.add("analytics:rollup:ran", 1, timeout=ROLLUP_EVERY_SECONDS):
        roll_up()
        prune()
    return written
