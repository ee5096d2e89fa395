"""The application's Prometheus metrics, and /metrics itself (docs/monitoring.md lists them).

django-prometheus counts requests, responses and latency per view. These are the ones
only the app can count, each incremented at its service seam:

- `inkwell_comments_posted_total`: apps.comments.services (a comment saved);
- `inkwell_live_sockets_open`, `inkwell_live_socket_drops_total`: apps.core.websocket's
  guard (every socket passes it); `inkwell_broadcast_latency_seconds`: from
  apps.core.live.send_event stamping an event to a consumer relaying it;
- `inkwell_tasks_enqueued_total`, `inkwell_tasks_failed_total`: django-tasks' signals, in
  the process that enqueues or runs the task; `inkwell_tasks_queued` and
  `inkwell_tasks_late` are read from the task table at scrape time (the same figure on
  every pod), so a stopped worker shows on the web pods' /metrics;
- `inkwell_emails_sent_total`, `inkwell_emails_failed_total`: notification digests
  (apps.notifications.emails) and newsletter deliveries (apps.newsletter.delivery);
- `inkwell_cache_hits_total`, `inkwell_cache_misses_total`: per cache alias
  (apps.core.cache's backends);
- `inkwell_scheduled_posts_published_late_total` and
  `inkwell_scheduled_post_delay_seconds`: apps.blog's scheduled publishing;
- `inkwell_db_pool_*`: psycopg's pool, refreshed after each request.

Across worker processes (apps.core.multiproc) counters and histograms are summed; the
gauges say how they combine (`livesum`: the sum over the processes alive now).
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from apps.core import multiproc

logger = structlog.get_logger("inkwell.metrics")

COMMENTS_POSTED = Counter(
    "inkwell_comments_posted", "Comments saved, by their first moderation status.", ["status"]
)
LIVE_SOCKETS_OPEN = Gauge(
    "inkwell_live_sockets_open",
    "WebSockets open now, by route (comments, notifications, other).",
    ["route"],
    multiprocess_mode="livesum",
)
LIVE_SOCKET_DROPS = Counter(
    "inkwell_live_socket_drops",
    "Sockets the server closed because Redis failed (1013) or the channel layer's reader "
    "gave up (1011).",
    ["route", "reason"],
)
BROADCAST_LATENCY = Histogram(
    "inkwell_broadcast_latency_seconds",
    "From send_event (after the write committed) to a consumer relaying the event.",
    ["event"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASKS_ENQUEUED = Counter("inkwell_tasks_enqueued", "Tasks enqueued, by queue.", ["queue"])
TASKS_FAILED = Counter("inkwell_tasks_failed", "Tasks that ended FAILED, by task.", ["task"])
EMAILS_SENT = Counter("inkwell_emails_sent", "Emails handed to the mail server.", ["kind"])
EMAILS_FAILED = Counter(
    "inkwell_emails_failed", "Emails the mail server refused or could not take.", ["kind"]
)
CACHE_HITS = Counter("inkwell_cache_hits", "Cache reads that found the key.", ["cache"])
CACHE_MISSES = Counter("inkwell_cache_misses", "Cache reads that did not.", ["cache"])
SCHEDULED_POSTS_LATE = Counter(
    "inkwell_scheduled_posts_published_late",
    "Scheduled posts published more than SCHEDULED_POST_LATE_AFTER seconds after their time.",
)
SCHEDULED_POST_DELAY = Histogram(
    "inkwell_scheduled_post_delay_seconds",
    "How long after its scheduled time a post was published.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)
POOL_GAUGES = {
    name: Gauge(
        f"inkwell_db_pool_{name}",
        help_text,
        multiprocess_mode="livesum",
    )
    for name, help_text in {
        "size": "Connections the database pools hold (busy or idle).",
        "available": "Idle connections in the database pools.",
        "requests_waiting": "Requests waiting for a connection from the pools.",
    }.items()
}

# --- Seams ---------------------------------------------------------------------------


def comment_posted(status: str) -> None:
    COMMENTS_POSTED.labels(status=status).inc()


def email_sent(kind: str, count: int = 1) -> None:
    EMAILS_SENT.labels(kind=kind).inc(count)


def email_failed(kind: str, count: int = 1) -> None:
    EMAILS_FAILED.labels(kind=kind).inc(count)


def cache_read(cache: str, hits: int, misses: int) -> None:
    if hits:
        CACHE_HITS.labels(cache=cache).inc(hits)
    if misses:
        CACHE_MISSES.labels(cache=cache).inc(misses)


def post_published(delay_seconds: float) -> None:
    """A scheduled post went out `delay_seconds` after its time."""
    SCHEDULED_POST_DELAY.observe(max(delay_seconds, 0.0))
    if delay_seconds > settings.SCHEDULED_POST_LATE_AFTER:
        SCHEDULED_POSTS_LATE.inc()


def broadcast_stamp() -> float:
    """What send_event puts in an event for the receiving consumer (wall clock: processes)."""
    return time.time()


# Latencies waiting to be written: a broadcast to 500 sockets of one process would
# otherwise write the histogram's shared file 500 times (under its lock) while the
# last sockets still wait for the event. They are written together a moment later.
_latencies: dict[str, list[float]] = {}
_FLUSH_AFTER = 0.25  # seconds


def broadcast_delivered(event_type: str, stamp: float | None) -> None:
    """A consumer relayed an event stamped `stamp`: record its latency (in a batch)."""
    if stamp is None:
        return
    first = not _latencies
    _latencies.setdefault(event_type, []).append(max(time.time() - stamp, 0.0))
    if first and not _flush_soon():
        flush_broadcast_latencies()


def _flush_soon() -> bool:
    """Ask the running event loop to write the batch in a moment; False outside a loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    loop.call_later(_FLUSH_AFTER, flush_broadcast_latencies)
    return True


def flush_broadcast_latencies() -> None:
    """Write the waiting latencies: per event type, each bucket and the sum once."""
    batches = list(_latencies.items())
    _latencies.clear()
    for event_type, latencies in batches:
        child = BROADCAST_LATENCY.labels(event=event_type)
        bounds: list[float] = getattr(child, "_upper_bounds", [])
        buckets = getattr(child, "_buckets", None)
        total = getattr(child, "_sum", None)
        if not bounds or buckets is None or total is None:  # another prometheus_client
            for latency in latencies:
                child.observe(latency)
            continue
        counts = [0] * len(bounds)
        for latency in latencies:
            counts[bisect.bisect_left(bounds, latency)] += 1
        for index, count in enumerate(counts):
            if count:
                buckets[index].inc(count)
        total.inc(sum(latencies))


def socket_route(path: str) -> str:
    for route in ("comments", "notifications"):
        if path.startswith(f"/ws/{route}"):
            return route
    return "other"


def refresh_pool_gauges(**_: Any) -> None:
    """Copy psycopg's pool statistics into the gauges (request_finished, and each scrape)."""
    from django.db import connections

    size = available = waiting = 0
    for connection in connections.all(initialized_only=True):
        # Django's PostgreSQL backend keeps one pool per alias and process; reading
        # `connection.pool` would open one where none is.
        pools = getattr(type(connection), "_connection_pools", {})
        pool = pools.get(connection.alias)
        if pool is None:
            continue
        stats = pool.get_stats()
        size += stats.get("pool_size", 0)
        available += stats.get("pool_available", 0)
        waiting += stats.get("requests_waiting", 0)
    POOL_GAUGES["size"].set(size)
    POOL_GAUGES["available"].set(available)
    POOL_GAUGES["requests_waiting"].set(waiting)


# --- django-tasks ----------------------------------------------------------------------


def task_enqueued(sender: Any, task_result: Any, **_: Any) -> None:
    TASKS_ENQUEUED.labels(queue=task_result.task.queue_name).inc()


def task_finished(sender: Any, task_result: Any, **_: Any) -> None:
    from django_tasks.base import TaskResultStatus

    if task_result.status == TaskResultStatus.FAILED:
        TASKS_FAILED.labels(task=task_result.task.module_path).inc()


class TaskQueueCollector(Collector):
    """`inkwell_tasks_queued` and `inkwell_tasks_late`, counted in the task table per scrape.

    Only with the database task backend (django_tasks_db); a database that does not answer
    leaves the two families empty rather than failing the scrape.
    """

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def _families(self) -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                "inkwell_tasks_queued", "Tasks waiting to run (READY), by queue.", labels=["queue"]
            ),
            GaugeMetricFamily(
                "inkwell_tasks_late",
                "READY tasks due for longer than TASKS_LATE_AFTER seconds, by queue.",
                labels=["queue"],
            ),
        ]

    def collect(self) -> Iterator[Metric]:
        queued, late = self._families()
        if "django_tasks_db" in settings.INSTALLED_APPS:
            from django.db import DatabaseError

            try:
                for name, counts in _task_counts().items():
                    queued.add_metric([name], counts[0])
                    late.add_metric([name], counts[1])
            except DatabaseError as error:
                logger.warning("metrics.tasks_unreadable", error=str(error)[:300])
        yield queued
        yield late


def _task_counts() -> dict[str, tuple[int, int]]:
    from django.db.models import Count, Q
    from django.utils import timezone
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    cutoff = timezone.now() - timedelta(seconds=settings.TASKS_LATE_AFTER)
    overdue = Q(run_after=get_date_max(), enqueued_at__lt=cutoff) | Q(run_after__lt=cutoff)
    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .values("queue_name")
        .annotate(queued=Count("id"), late=Count("id", filter=overdue))
    )
    return {row["queue_name"]: (row["queued"], row["late"]) for row in rows}


SCRAPE_COLLECTORS: list[TaskQueueCollector] = [TaskQueueCollector()]

# --- /metrics ------------------------------------------------------------------------


def render() -> tuple[bytes, str]:
    """The exposition /metrics answers: every worker's metrics (or this process's), then
    the figures read at scrape time. Never raises for a broken metrics directory."""
    refresh_pool_gauges()
    body = b""
    if multiproc.active():
        from prometheus_client import multiprocess

        try:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            body = generate_latest(registry)
        except (OSError, ValueError) as error:
            # The directory went away or a file is unreadable: this process's own figures.
            logger.error("metrics.multiprocess_unreadable", error=str(error)[:300])
            body = generate_latest(REGISTRY)
    else:
        body = generate_latest(REGISTRY)
    extra = CollectorRegistry(auto_describe=True)
    for collector in SCRAPE_COLLECTORS:
        extra.register(collector)
    return body + generate_latest(extra), CONTENT_TYPE_LATEST


def exported_sample_names() -> set[str]:
    """Every sample name /metrics can carry, from the registries (no database touched)."""
    # django-prometheus registers its request metrics when its middleware is first built.
    from django_prometheus.middleware import Metrics

    Metrics.get_instance()
    names: set[str] = set()
    families: list[Metric] = list(REGISTRY.collect())
    for collector in SCRAPE_COLLECTORS:
        families.extend(collector.describe())
    for family in families:
        kind, name = family.type, family.name
        if kind == "counter":
            names |= {f"{name}_total", f"{name}_created"}
        elif kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum", f"{name}_created"}
        elif kind == "summary":
            names |= {name, f"{name}_count", f"{name}_sum", f"{name}_created"}
        elif kind == "info":
            names.add(f"{name}_info")
        else:
            names.add(name)
    return names


def connect_signals() -> None:
    """Hook the metrics to Django's and django-tasks' signals (CoreConfig.ready)."""
    from django.core.signals import request_finished
    from django_tasks.signals import task_enqueued as enqueued
    from django_tasks.signals import task_finished as finished

    enqueued.connect(task_enqueued, dispatch_uid="inkwell.metrics.task_enqueued")
    finished.connect(task_finished, dispatch_uid="inkwell.metrics.task_finished")
    request_finished.connect(refresh_pool_gauges, dispatch_uid="inkwell.metrics.pool")
