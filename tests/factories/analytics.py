"""Raw analytics rows written directly, as the drain would (apps.analytics.ingest)."""

from __future__ import annotations

import itertools
from datetime import datetime

from django.utils import timezone

from apps.analytics.models import PAGEVIEW, Event, Visit

_ids = itertools.count(1)


def visit(
    visitor_id: int,
    pages: list[tuple[datetime, str]],
    *,
    post_ids: dict[str, int] | None = None,
    author_ids: dict[str, int] | None = None,
    **dims: str,
) -> Visit:
    """One visit of `visitor_id` viewing `pages` ((aware time, path) in order)."""
    post_ids = post_ids or {}
    author_ids = author_ids or {}
    first, last = pages[0][0], pages[-1][0]
    row = Visit.objects.create(
        id=next(_ids),
        visitor_id=visitor_id,
        day=timezone.localdate(first),
        started_at=first,
        last_seen_at=last,
        duration=int((last - first).total_seconds()),
        pageviews=len(pages),
        entry_path=pages[0][1],
        exit_path=pages[-1][1],
        **dims,
    )
    Event.objects.bulk_create(
        Event(
            day=timezone.localdate(ts),
            hour=ts.replace(minute=0, second=0, microsecond=0),
            ts=ts,
            name=PAGEVIEW,
            visitor_id=visitor_id,
            visit_id=row.id,
            path=path,
            post_id=post_ids.get(path),
            author_id=author_ids.get(path),
            **dims,
        )
        for ts, path in pages
    )
    return row


def goal(name: str, ts: datetime, *, path: str = "", post_id: int | None = None) -> Event:
    return Event.objects.create(
        day=timezone.localdate(ts),
        hour=ts.replace(minute=0, second=0, microsecond=0),
        ts=ts,
        name=name,
        path=path,
        post_id=post_id,
    )
