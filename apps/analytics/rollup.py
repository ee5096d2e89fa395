"""Fold finished days of raw events into the daily and hourly rollups.

A day is rolled up in one transaction: its rollup rows are replaced and the day is marked
in `RolledDay`, so the selectors switch from raw events to rollups atomically and rolling a
day twice gives the same rows (safe for a retried task).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from apps.analytics import raw
from apps.analytics.models import DailyRollup, HourlyRollup, RolledDay

# Per scope, the dimensions kept ("" = the scope's totals). A page's own page breakdown is
# its row in the site-wide one, so the page scope skips it.
SCOPE_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "": ("", *raw.DIMENSIONS),
    "page": ("", *(d for d in raw.DIMENSIONS if d != "page")),
    "referrer": ("", *raw.DIMENSIONS),
    "utm_campaign": ("", *raw.DIMENSIONS),
    "author": ("", *raw.DIMENSIONS),
}
BATCH = 2000


@transaction.atomic
def roll_up_day(day: date) -> int:
    """Replace `day`'s rollups with figures from its raw events; return the rows written."""
    DailyRollup.objects.filter(day=day).delete()
    HourlyRollup.objects.filter(day=day).delete()
    selection = raw.Selection.on([day])
    daily: list[DailyRollup] = []
    for scope, dimensions in SCOPE_DIMENSIONS.items():
        for dimension in dimensions:
            for (_day, scope_value, value), figures in raw.grouped(
                selection, dimension, scope
            ).items():
                daily.append(
                    DailyRollup(
                        day=day,
                        scope=scope,
                        scope_value=scope_value,
                        dimension=dimension,
                        value=value[:300],
                        post_id=figures.post_id,
                        visitors=figures.visitors,
                        visits=figures.visits,
                        pageviews=figures.pageviews,
                        bounces=figures.bounces,
                        duration=figures.duration,
                    )
                )
    hourly = [
        HourlyRollup(
            hour=hour,
            day=day,
            scope=scope,
            scope_value=scope_value,
            post_id=figures.post_id,
            visitors=figures.visitors,
            visits=figures.visits,
            pageviews=figures.pageviews,
        )
        for scope in SCOPE_DIMENSIONS
        for (hour, scope_value), figures in raw.hourly(selection, scope).items()
    ]
    DailyRollup.objects.bulk_create(daily, batch_size=BATCH)
    HourlyRollup.objects.bulk_create(hourly, batch_size=BATCH)
    RolledDay.objects.update_or_create(day=day, defaults={"rolled_at": timezone.now()})
    return len(daily) + len(hourly)
