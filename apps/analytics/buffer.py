"""Where accepted events wait before they are written in batches.

- "redis" (REDIS_URL set): RPUSH onto a list in the cache's Redis; `drain` (the
  `analytics_drain` command, or the embedded periodic job) pops batches and writes them.
- "memory" (the embedded default, one process): a list in this process, written by a
  background thread every ANALYTICS_FLUSH_SECONDS or as soon as ANALYTICS_BATCH_SIZE events
  wait, and at exit. ANALYTICS_FLUSH_SECONDS = 0 writes each event at once (tests).

A reader never waits for, nor sees, a failure here: Redis down or the list full means the
event is dropped and counted (metrics.dropped), and the beacon is still answered 202.
"""

from __future__ import annotations

import atexit
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.db import close_old_connections
from redis.exceptions import RedisError

from apps.analytics import metrics
from apps.core.cache import redis_client

logger = structlog.get_logger("inkwell.analytics")

REDIS_KEY = "analytics:events"
Writer = Callable[[list[dict[str, Any]]], object]


def _writer() -> Writer:
    from apps.analytics.services import record_events  # the buffer sits below the services

    return record_events


def _redis() -> tuple[RedisCache, str]:
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        raise RuntimeError("ANALYTICS_BUFFER=redis needs REDIS_URL (the default cache on Redis).")
    return backend, backend.make_and_validate_key(REDIS_KEY)


def _push_redis(event: dict[str, Any]) -> bool:
    try:
        backend, key = _redis()
        with redis_client(backend, key, write=True) as client:
            waiting = client.rpush(key, json.dumps(event, separators=(",", ":")))
            if waiting > settings.ANALYTICS_REDIS_MAX_PENDING:
                client.rpop(key)  # the drain has fallen behind: keep what waits, drop this
                metrics.dropped.labels("buffer_full").inc()
                return False
    except (RedisError, OSError):
        metrics.dropped.labels("redis_down").inc()
        return False
    return True


class MemoryBuffer:
    """The in-process batch of the embedded default (one server process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[dict[str, Any]] = []
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None

    def push(self, event: dict[str, Any]) -> None:
        if settings.ANALYTICS_FLUSH_SECONDS <= 0:
            self._write([event])
            return
        with self.lock:
            self.items.append(event)
            full = len(self.items) >= settings.ANALYTICS_BATCH_SIZE
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="inkwell-analytics-flush", daemon=True
                )
                self.thread.start()
        if full:
            self.wake.set()  # the writer thread writes it; the request does not wait

    def flush(self) -> int:
        """Write everything waiting now; return how many events were written."""
        with self.lock:
            items, self.items = self.items, []
        if items:
            self._write(items)
        return len(items)

    def _write(self, items: list[dict[str, Any]]) -> None:
        size = settings.ANALYTICS_BATCH_SIZE
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            try:
                _writer()(batch)
            except Exception:  # the writer thread must survive a database hiccup
                metrics.dropped.labels("write_failed").inc(len(batch))
                logger.exception("analytics.write_failed", events=len(batch))

    def _run(self) -> None:
        while True:
            self.wake.wait(max(0.05, settings.ANALYTICS_FLUSH_SECONDS))
            self.wake.clear()
            with self.lock:
                if not self.items:
                    continue  # nothing to write: leave the database alone
            try:
                self.flush()
            finally:
                close_old_connections()


memory = MemoryBuffer()
atexit.register(memory.flush)


def push(event: dict[str, Any]) -> None:
    """Queue one event for the batch writer; never raises."""
    if settings.ANALYTICS_BUFFER == "redis":
        _push_redis(event)
    else:
        memory.push(event)


def drain(*, max_batches: int | None = None, time_budget: float | None = None) -> int:
    """Write waiting events in batches until none wait (or a limit is hit); return the count."""
    if settings.ANALYTICS_BUFFER != "redis":
        return memory.flush()
    backend, key = _redis()
    size = settings.ANALYTICS_BATCH_SIZE
    written = batches = 0
    started = time.monotonic()
    while max_batches is None or batches < max_batches:
        if time_budget is not None and time.monotonic() - started > time_budget:
            break
        try:
            with redis_client(backend, key, write=True) as client:
                raw_items = client.lpop(key, size) or []
        except (RedisError, OSError) as error:  # Redis down: the events wait there, or are lost
            logger.warning("analytics.drain_unavailable", error=type(error).__name__)
            break
        if not raw_items:
            break
        events = []
        for item in raw_items:
            try:
                events.append(json.loads(item))
            except ValueError:
                metrics.dropped.labels("write_failed").inc()
        try:
            _writer()(events)
        except Exception:
            # Put the batch back in front, in order, so the next run writes it.
            with redis_client(backend, key, write=True) as client:
                client.lpush(key, *reversed(raw_items))
            raise
        written += len(events)
        batches += 1
    return written


def pending() -> int:
    """How many events wait (for the health of the drain job)."""
    if settings.ANALYTICS_BUFFER != "redis":
        with memory.lock:
            return len(memory.items)
    backend, key = _redis()
    with redis_client(backend, key, write=False) as client:
        return int(client.llen(key))
