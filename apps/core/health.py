"""Readiness checks: the database, the cache and the channel layer, each bounded in time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, connections

logger = structlog.get_logger("inkwell.health")

CHANNEL_LAYER_TIMEOUT = 2.0


def check_database() -> None:
    """Run a trivial query on the primary.

    Replicas are not part of readiness: one that is down or lagging is skipped and the
    primary serves its reads (apps.core.db_router), so the site is still ready.
    """
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    """Write, read back and delete a key.

    On Redis this asks the server itself: the resilient backend (apps.core.cache) turns an
    outage into misses for pages, which is exactly what readiness must not hide.
    """
    key = f"readyz:{uuid.uuid4().hex}"
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        name = backend.make_and_validate_key(key)
        client = backend._cache.get_client(name, write=True)  # type: ignore[attr-defined]
        client.set(name, b"ok", ex=10)
        if client.get(name) != b"ok":
            raise RuntimeError("cache did not return the value just written")
        client.delete(name)
        return
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def check_channel_layer() -> None:
    """Send a message to a fresh channel and receive it back."""
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip() -> None:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "readyz.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "readyz.ping":
            raise RuntimeError("channel layer returned an unexpected message")

    async def bounded() -> None:
        await asyncio.wait_for(round_trip(), timeout=CHANNEL_LAYER_TIMEOUT)

    async_to_sync(bounded)()


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
}


def run_checks(parts: list[str] | None = None) -> dict[str, str]:
    """Run every check (or those named); map each part to "ok" or what failed."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if parts is not None and name not in parts:
            continue
        try:
            check()
        except Exception as exc:  # noqa: BLE001  (any failure means "not ready")
            reason = f"{type(exc).__name__}: {exc}".strip()[:300] or type(exc).__name__
            logger.error("readiness check failed", part=name, reason=reason)
            results[name] = reason
        else:
            results[name] = "ok"
    return results
