"""Analytics (apps.analytics): cookieless visitor statistics, buffering and retention."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from project.settings.data import REDIS_URL
from project.settings.environment import env

# Off: the beacon endpoint answers 204 and records nothing; the script is not served.
ANALYTICS_ENABLED: bool = env.bool("ANALYTICS_ENABLED", default=True)
# Readers whose browser sends "Do Not Track: 1" or "Sec-GPC: 1" are not counted.
ANALYTICS_HONOUR_DNT: bool = env.bool("ANALYTICS_HONOUR_DNT", default=True)
# Raw events and visits are kept this many days (then pruned); the rollups are kept for good.
ANALYTICS_RAW_RETENTION_DAYS: int = env.int("ANALYTICS_RAW_RETENTION_DAYS", default=30)
# A visit ends after this many minutes without a page view.
ANALYTICS_VISIT_IDLE_MINUTES: int = env.int("ANALYTICS_VISIT_IDLE_MINUTES", default=30)
# A MaxMind GeoLite2/GeoIP2 Country (or City) database file; empty = no countries recorded.
# Needs the `geoip2` package (not installed by default). The IP address is looked up and
# forgotten; only the two-letter country code is kept.
ANALYTICS_GEOIP_PATH: str = env.str("ANALYTICS_GEOIP_PATH", default="")
# Where beacons wait before they are written: "redis" (a list, drained by
# `manage.py analytics_drain`) or "memory" (an in-process batch, written by a thread every
# ANALYTICS_FLUSH_SECONDS or ANALYTICS_BATCH_SIZE events, and at exit). Default: redis when
# REDIS_URL is set. "memory" needs a single server process (the embedded default).
ANALYTICS_BUFFER: str = env.str("ANALYTICS_BUFFER", default="redis" if REDIS_URL else "memory")
if ANALYTICS_BUFFER not in {"redis", "memory"}:
    raise ImproperlyConfigured(
        f"ANALYTICS_BUFFER must be 'redis' or 'memory', not {ANALYTICS_BUFFER!r}."
    )
ANALYTICS_BATCH_SIZE: int = env.int("ANALYTICS_BATCH_SIZE", default=1000)
ANALYTICS_FLUSH_SECONDS: float = env.float("ANALYTICS_FLUSH_SECONDS", default=2.0)
# The Redis list is capped: past this many waiting events, new ones are dropped (and counted).
ANALYTICS_REDIS_MAX_PENDING: int = env.int("ANALYTICS_REDIS_MAX_PENDING", default=2_000_000)
# Today's figures: 0 = computed from raw events on every dashboard request (always fresh; fine
# for small sites), or rolled up provisionally by `analytics_drain` when the last roll-up is
# older than this many seconds (figures then lag by up to that much; "live" never does).
ANALYTICS_TODAY_ROLLUP_SECONDS: int = env.int(
    "ANALYTICS_TODAY_ROLLUP_SECONDS", default=300 if REDIS_URL else 0
)
# Beacons per visitor id per window; more are refused with 429 and not stored.
ANALYTICS_RATE_LIMIT: int = env.int("ANALYTICS_RATE_LIMIT", default=60)
ANALYTICS_RATE_WINDOW: int = env.int("ANALYTICS_RATE_WINDOW", default=60)
if ANALYTICS_RAW_RETENTION_DAYS < 2 or ANALYTICS_VISIT_IDLE_MINUTES < 1 or ANALYTICS_BATCH_SIZE < 1:
    raise ImproperlyConfigured(
        "ANALYTICS_RAW_RETENTION_DAYS must be at least 2, ANALYTICS_VISIT_IDLE_MINUTES and "
        "ANALYTICS_BATCH_SIZE at least 1."
    )
