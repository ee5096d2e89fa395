"""Who is reading a post now: open sockets counted across every server process.

Each open socket is an entry keyed by its channel name and scored by when it was last
seen. A socket refreshes its entry every `HEARTBEAT_SECONDS`; counting drops entries
older than `EXPIRE_SECONDS`, so the sockets of a crashed process (which never say
goodbye) stop inflating the count within a minute.

With `REDIS_URL` the entries live in one Redis sorted set per post, shared by every
process and host; without it (the embedded default runs one process) in a dict.

Counts go out through `broadcasts.presence`, at most once per `DEBOUNCE_SECONDS` per post
and process: a burst of 500 connects costs one broadcast, not 500. Presence is a nicety,
so a Redis failure here is logged and never breaks a socket.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import structlog
from asgiref.sync import sync_to_async
from django.conf import settings
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from apps.comments import broadcasts

logger = structlog.get_logger("inkwell.comments")

T = TypeVar("T")

# A socket says "still here" this often; an entry not refreshed for EXPIRE_SECONDS is gone.
# Two missed heartbeats and a bit, so one slow beat under load does not flicker the count.
HEARTBEAT_SECONDS = 25.0
EXPIRE_SECONDS = 60.0
# The longest a reader waits to see the count change; also the most broadcasts per second
# (per post and process) that presence ever causes.
DEBOUNCE_SECONDS = 1.0


class Store(Protocol):
    async def touch(self, post_id: int, channel: str, now: float) -> None: ...
    async def remove(self, post_id: int, channel: str) -> None: ...
    async def count(self, post_id: int, now: float) -> int: ...


class MemoryStore:
    """One process's readers (the embedded default: there is only one process)."""

    def __init__(self) -> None:
        self.seen: dict[int, dict[str, float]] = {}

    async def touch(self, post_id: int, channel: str, now: float) -> None:
        self.seen.setdefault(post_id, {})[channel] = now

    async def remove(self, post_id: int, channel: str) -> None:
        entries = self.seen.get(post_id)
        if entries is not None:
            entries.pop(channel, None)
            if not entries:
                del self.seen[post_id]

    async def count(self, post_id: int, now: float) -> int:
        entries = self.seen.get(post_id, {})
        for channel in [c for c, seen in entries.items() if seen < now - EXPIRE_SECONDS]:
            del entries[channel]
        return len(entries)


class RedisStore:
    """Every process's readers: a sorted set per post, channel name -> last-seen time."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        # redis-py's asyncio connections belong to the event loop that opened them.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
            weakref.WeakKeyDictionary()
        )

    def key(self, post_id: int) -> str:
        return f"{self.prefix}:presence:post:{post_id}"

    def client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            # A blocking pool waits for a free connection: redis-py 8's default pool raises
            # once 100 are busy, which a burst of connects reaches at once (stack trap 14).
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url, max_connections=50, timeout=10, socket_timeout=5, socket_connect_timeout=2
            )
            client = self._clients[loop] = aioredis.Redis(connection_pool=pool)
        return client

    async def touch(self, post_id: int, channel: str, now: float) -> None:
        key = self.key(post_id)
        async with self.client().pipeline(transaction=False) as pipe:
            pipe.zadd(key, {channel: now})
            # The whole set goes once nobody has refreshed it for a while (post closed, all
            # processes gone), so dead posts leave no keys behind.
            pipe.expire(key, int(EXPIRE_SECONDS * 2))
            await pipe.execute()

    async def remove(self, post_id: int, channel: str) -> None:
        await self.client().zrem(self.key(post_id), channel)

    async def count(self, post_id: int, now: float) -> int:
        key = self.key(post_id)
        async with self.client().pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(key, "-inf", now - EXPIRE_SECONDS)
            pipe.zcard(key)
            _removed, count = await pipe.execute()
        return int(count)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose(close_connection_pool=True)


_memory = MemoryStore()
_redis: dict[tuple[str, str], RedisStore] = {}


def store() -> Store:
    """The store the settings ask for (read lazily, so tests may switch)."""
    if settings.REDIS_URL:
        key = (settings.REDIS_URL, settings.CACHE_KEY_PREFIX)
        if key not in _redis:
            _redis[key] = RedisStore(settings.REDIS_URL, settings.CACHE_KEY_PREFIX)
        return _redis[key]
    return _memory


async def close_connections() -> None:
    """Drop pending broadcasts and close this event loop's Redis connections (tests end
    their event loop after each test)."""
    state = _states.pop(asyncio.get_running_loop(), None)
    if state is not None:
        for task in state.pending.values():
            task.cancel()
    for redis_store in _redis.values():
        await redis_store.close()


async def _quietly(operation: Awaitable[T]) -> T | None:
    try:
        return await operation
    except (RedisError, OSError) as error:
        logger.warning("presence_store_failed", error=str(error))
        return None


# --------------------------------------------------------------------------
# Debounced broadcasts
# --------------------------------------------------------------------------


@dataclass
class _LoopState:
    """Broadcasts waiting to go out; asyncio tasks belong to one event loop."""

    pending: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    # Posts whose next broadcast must go out even if the count looks unchanged: a reader
    # who just arrived has not seen any count yet.
    forced: set[int] = field(default_factory=set)


_states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
    weakref.WeakKeyDictionary()
)
# The last count this process sent or saw broadcast, per post (see `observed`).
_last_known: dict[int, int] = {}


def _state() -> _LoopState:
    loop = asyncio.get_running_loop()
    state = _states.get(loop)
    if state is None:
        state = _states[loop] = _LoopState()
    return state


def _schedule(post_id: int, *, force: bool) -> None:
    state = _state()
    if force:
        state.forced.add(post_id)
    if post_id not in state.pending:
        state.pending[post_id] = asyncio.get_running_loop().create_task(
            _broadcast_later(post_id, state)
        )


async def _broadcast_later(post_id: int, state: _LoopState) -> None:
    await asyncio.sleep(DEBOUNCE_SECONDS)
    # From here on, new arrivals schedule the next broadcast instead of joining this one.
    state.pending.pop(post_id, None)
    force = post_id in state.forced
    state.forced.discard(post_id)
    count = await _quietly(store().count(post_id, time.time()))
    if count is None or (not force and _last_known.get(post_id) == count):
        return
    _last_known[post_id] = count
    try:
        await _send(post_id, count)
    except Exception:  # a layer/Redis failure must not kill the loop's task machinery
        logger.exception("presence_broadcast_failed", post_id=post_id)


async def _send(post_id: int, count: int) -> None:
    # broadcasts renders the fragment and calls group_send; it is sync like the other
    # event functions (they run from transaction.on_commit).
    await sync_to_async(broadcasts.presence, thread_sensitive=False)(post_id, count)


def observed(post_id: int, count: int) -> None:
    """Remember a count broadcast by any process, so this one only speaks on a change."""
    _last_known[post_id] = count


# --------------------------------------------------------------------------
# What the consumer uses
# --------------------------------------------------------------------------


@dataclass
class Reader:
    """One open socket on a post page, kept fresh by a heartbeat until it leaves."""

    post_id: int
    channel: str
    _heartbeat: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await _quietly(store().touch(self.post_id, self.channel, time.time()))
            # Catches sockets that expired elsewhere (a crashed process) as well.
            _schedule(self.post_id, force=False)

    async def leave(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None
        await _quietly(store().remove(self.post_id, self.channel))
        # Forced: another process may have announced a different count since ours.
        _schedule(self.post_id, force=True)


async def arrive(post_id: int, channel: str) -> Reader:
    """Count a socket as reading the post; call `leave()` on the result when it closes."""
    await _quietly(store().touch(post_id, channel, time.time()))
    _schedule(post_id, force=True)
    reader = Reader(post_id, channel)
    reader._heartbeat = asyncio.get_running_loop().create_task(reader._beat())
    return reader


async def count(post_id: int) -> int:
    """How many sockets read the post now (across processes when Redis is configured)."""
    return await store().count(post_id, time.time())
