"""Fold finished days of raw events into the daily and hourly rollups.

A day is rolled up in one transaction: its rollup rows are replaced and the day is marked
in `RolledDay`, so the selectors switch from raw events to rollups atomically and rolling a
day twice gives the same rows (safe for a retried task). Rows are written with COPY on
PostgreSQL (a day can be tens of thousands of rows), plain batched INSERTs elsewhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.analytics import raw
from apps.analytics.bulk import write_rows
from apps.analytics.models import DailyRollup, HourlyRollup, RolledDay

SCOPE_DIMENSIONS = raw.SCOPE_DIMENSIONS
DAILY_COLUMNS = (
    "day", "scope", "scope_value", "dimension", "value", "post_id",
    "visitors", "visits", "pageviews", "bounces", "duration",
)  # fmt: skip
HOURLY_COLUMNS = (
    "hour", "day", "scope", "scope_value", "post_id", "visitors", "visits", "pageviews",
)  # fmt: skip


@transaction.atomic
def roll_up_day(day: date) -> int:
    """Replace `day`'s rollups with figures from its raw events; return the rows written."""
    DailyRollup.objects.filter(day=day).delete()
    HourlyRollup.objects.filter(day=day).delete()
    selection = raw.Selection.on([day])
    daily: list[tuple[Any, ...]] = []
    for scope, dimensions in SCOPE_DIMENSIONS.items():
        for dimension in dimensions:
            for (_day, scope_value, value), figures in raw.grouped(
                selection, dimension, scope
            ).items():
                daily.append(
                    (
                        day, scope, scope_value[:300], dimension, value[:300], figures.post_id,
                        figures.visitors, figures.visits, figures.pageviews, figures.bounces,
                        figures.duration,
                    )
                )  # fmt: skip
    hourly: list[tuple[Any, ...]] = [
        (
            hour,
            day,
            scope,
            scope_value[:300],
            figures.post_id,
            figures.visitors,
            figures.visits,
            figures.pageviews,
        )
        for scope in SCOPE_DIMENSIONS
        for (hour, scope_value), figures in raw.hourly(selection, scope).items()
    ]
    write_rows(DailyRollup, DAILY_COLUMNS, daily)
    write_rows(HourlyRollup, HOURLY_COLUMNS, hourly)
    RolledDay.objects.update_or_create(day=day, defaults={"rolled_at": timezone.now()})
    return len(daily) + len(hourly)
