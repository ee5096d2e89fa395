"""Fold finished days of raw events into the daily and hourly rollups.

A day is rolled up in one transaction: its rollup rows are replaced and the day is marked
in `RolledDay`, so the selectors switch from raw events to rollups atomically and rolling a
day twice gives the same rows (safe for a retried task). Rows are written with COPY on
PostgreSQL (a day can be tens of thousands of rows), plain batched INSERTs elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from apps.analytics import raw
from apps.analytics.models import DailyRollup, HourlyRollup, RolledDay

SCOPE_DIMENSIONS = raw.SCOPE_DIMENSIONS
DAILY_COLUMNS = (
    "day", "scope", "scope_value", "dimension", "value", "post_id",
    "visitors", "visits", "pageviews", "bounces", "duration",
)  # fmt: skip
HOURLY_COLUMNS = (
    "hour", "day", "scope", "scope_value", "post_id", "visitors", "visits", "pageviews",
)  # fmt: skip


def _write(model: type[Model], columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    table = model._meta.db_table
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


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
    _write(DailyRollup, DAILY_COLUMNS, daily)
    _write(HourlyRollup, HOURLY_COLUMNS, hourly)
    RolledDay.objects.update_or_create(day=day, defaults={"rolled_at": timezone.now()})
    return len(daily) + len(hourly)
