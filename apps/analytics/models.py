"""Cookieless visitor statistics: daily salts, raw events and visits, and their rollups.

Nothing here can name a person. A visitor id is a keyed hash of the day's salt, the user
agent, the IP address and the host (apps.analytics.visitors); neither the IP address nor the
user agent is stored, and a salt is deleted after 48 hours, so ids from different days cannot
be linked, not even by the operator.

The raw store (`Event`, `Visit`) is written in batches by the drain and kept for
ANALYTICS_RAW_RETENTION_DAYS. The dashboard reads the rollups (`DailyRollup`, `HourlyRollup`)
for days listed in `RolledDay`, and the raw store only for days not yet rolled up (today), so
the raw store could move to a column store without the selectors' callers noticing. Events
carry no foreign keys for the same reason (and because PostgreSQL partitions the table by day).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

PAGEVIEW = "pageview"


class Salt(models.Model):
    """The secret of one day (in the site's time zone); deleted after 48 hours."""

    day = models.DateField(unique=True)
    key = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"salt of {self.day}"


class Visit(models.Model):
    """One visit: page views of one visitor id with no gap longer than the idle limit."""

    id = models.BigIntegerField(primary_key=True)  # random, so ids say nothing about order
    visitor_id = models.BigIntegerField()
    day = models.DateField()  # the day the visit started, in the site's time zone
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    duration = models.PositiveIntegerField(default=0)  # seconds from first to last page view
    pageviews = models.PositiveIntegerField(default=0)
    entry_path = models.CharField(max_length=300)
    exit_path = models.CharField(max_length=300)
    referrer = models.CharField(max_length=200, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    browser = models.CharField(max_length=50, blank=True)
    os = models.CharField(max_length=50, blank=True)
    device = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["visitor_id", "last_seen_at"], name="analytics_visit_open"),
            models.Index(fields=["day"], name="analytics_visit_day"),
        ]

    def __str__(self) -> str:
        return f"visit {self.id}"


class Event(models.Model):
    """One page view or goal. Partitioned by month on PostgreSQL (migration 0001)."""

    id = models.BigAutoField(primary_key=True)
    day = models.DateField()  # in the site's time zone
    hour = models.DateTimeField()  # the timestamp truncated to the hour
    ts = models.DateTimeField()
    name = models.CharField(max_length=40, default=PAGEVIEW)  # "pageview" or a goal's name
    visitor_id = models.BigIntegerField(null=True, blank=True)  # none for server-side goals
    visit_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    post_id = models.IntegerField(null=True, blank=True)  # resolved from the path
    author_id = models.IntegerField(null=True, blank=True)  # the post's author then
    referrer = models.CharField(max_length=200, blank=True)  # host only
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    browser = models.CharField(max_length=50, blank=True)
    os = models.CharField(max_length=50, blank=True)
    device = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["day", "name"], name="analytics_event_day"),
            models.Index(fields=["ts"], name="analytics_event_ts"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.path} at {self.ts:%Y-%m-%d %H:%M}"


class RolledDay(models.Model):
    """A day whose rollups are complete: the selectors read rollups for it, not raw events."""

    day = models.DateField(primary_key=True)
    rolled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.day)


class DailyRollup(models.Model):
    """One day's figures for one value of one dimension, within one scope.

    The scope is what a dashboard filter narrows to: the whole site (scope ""), one page
    (scope "page", value the path), one referrer host, one campaign, one author's posts.
    `dimension` "" holds the scope's totals (with bounces and summed visit durations).
    `visitors` counts distinct visitor ids of that day: sums over days are sums of daily
    unique visitors, never people.
    """

    day = models.DateField()
    scope = models.CharField(max_length=20, blank=True)
    scope_value = models.CharField(max_length=300, blank=True)
    dimension = models.CharField(max_length=20, blank=True)
    value = models.CharField(max_length=300, blank=True)
    post_id = models.IntegerField(null=True, blank=True)  # the page's post (scope or dimension)
    visitors = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    pageviews = models.PositiveIntegerField(default=0)
    bounces = models.PositiveIntegerField(default=0)
    duration = models.PositiveBigIntegerField(default=0)  # seconds, summed over visits

    class Meta:
        indexes: ClassVar = [
            models.Index(
                fields=["scope", "scope_value", "dimension", "day"], name="analytics_daily_scope"
            ),
            models.Index(fields=["post_id", "dimension", "day"], name="analytics_daily_post"),
            models.Index(fields=["day"], name="analytics_daily_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.scope}={self.scope_value} {self.dimension}={self.value}"


class HourlyRollup(models.Model):
    """One hour's totals within one scope (the hourly chart)."""

    hour = models.DateTimeField()
    day = models.DateField()
    scope = models.CharField(max_length=20, blank=True)
    scope_value = models.CharField(max_length=300, blank=True)
    post_id = models.IntegerField(null=True, blank=True)
    visitors = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    pageviews = models.PositiveIntegerField(default=0)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["scope", "scope_value", "hour"], name="analytics_hourly_scope"),
            models.Index(fields=["post_id", "hour"], name="analytics_hourly_post"),
            models.Index(fields=["day"], name="analytics_hourly_day"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.scope}={self.scope_value}"
