"""Prometheus counters of the analytics pipeline (exported at /metrics by django-prometheus)."""

from __future__ import annotations

from prometheus_client import Counter

beacons = Counter(
    "inkwell_analytics_beacons_total",
    "Beacons received, by outcome (accepted, invalid, rate_limited, bot, dnt, disabled).",
    ["outcome"],
)
dropped = Counter(
    "inkwell_analytics_events_dropped_total",
    "Accepted events lost before the database, by reason (redis_down, buffer_full, write_failed).",
    ["reason"],
)
written = Counter("inkwell_analytics_events_written_total", "Events written to the raw store.")
