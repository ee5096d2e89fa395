"""The Redis channel layer the live routes use by default (settings: CHANNEL_LAYER_BACKEND=core).

`channels_redis.core.RedisChannelLayer` with two changes, both about a post with many
open pages on one process:

- **A bounded, waiting connection pool.** redis-py 8's default pool opens a connection
  for every concurrent command and keeps it; with `max_connections` it raises once full
  instead of waiting (stack-notes trap 14), so the cap had to sit far above the sockets
  one process holds. A connect storm of 1,000 sockets (each a `group_add`) then left about
  a thousand idle connections per process open for good. A `BlockingConnectionPool` waits
  for a free connection instead (up to `pool_timeout` seconds), so a small pool serves
  any burst and no `group_add`/`group_discard` fails for want of a connection.
- **One reader per process.** The stock layer has every waiting consumer race for a lock
  and a fresh buffer on each message: a broadcast to 500 sockets of a process woke 500
  consumers, each creating and cancelling tasks around that lock, before any frame went
  out. Here one task per process reads the process's Redis queue (`BZPOPMIN`, as before)
  and hands each message to the waiting consumers' inboxes; a consumer's `receive` is a
  plain queue read. Groups, expiry, capacity and the messages that wait in Redis for a
  briefly disconnected process are the stock layer's.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from channels_redis.core import BoundedQueue
from channels_redis.core import RedisChannelLayer as StockRedisChannelLayer
from redis import asyncio as aioredis

logger = structlog.get_logger("inkwell.live")

# After a failed read from Redis (down, timed out), wait this long before the next one.
READ_RETRY_SECONDS = 1.0


class RedisChannelLayer(StockRedisChannelLayer):  # type: ignore[misc]  # channels_redis is untyped
    def __init__(self, *args: Any, pool_timeout: float = 20, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool_timeout = pool_timeout
        # Process-local channel name -> the messages waiting for its consumer.
        self._inboxes: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        # (event loop, the process's Redis queue name) -> the task reading it.
        self._readers: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[None]] = {}

    def create_pool(self, index: int) -> aioredis.BlockingConnectionPool:
        host = dict(self.hosts[index])
        address = host.pop("address")
        return aioredis.BlockingConnectionPool.from_url(address, timeout=self.pool_timeout, **host)

    async def new_channel(self, prefix: str = "specific") -> str:
        channel: str = await super().new_channel(prefix)
        self._inbox(channel)
        return channel

    def _inbox(self, channel: str) -> asyncio.Queue[dict[str, Any]]:
        inbox = self._inboxes.get(channel)
        if inbox is None:
            inbox = self._inboxes[channel] = BoundedQueue(self.get_capacity(channel))
        return inbox

    async def receive(self, channel: str) -> dict[str, Any]:
        if "!" not in channel:
            message: dict[str, Any] = await super().receive(channel)
            return message
        inbox = self._inbox(channel)
        self._ensure_reader(self.non_local_name(channel))
        try:
            return await inbox.get()
        except asyncio.CancelledError:
            # Channels cancels the pending receive when the consumer ends: its channel is gone.
            self._inboxes.pop(channel, None)
            if not self._inboxes:
                self._stop_readers()
            raise

    def _ensure_reader(self, real_channel: str) -> None:
        loop = asyncio.get_running_loop()
        reader = self._readers.get((loop, real_channel))
        if reader is None or reader.done():
            self._readers[(loop, real_channel)] = loop.create_task(self._read(real_channel))

    def _stop_readers(self) -> None:
        # Nobody left to read for (tests end their event loop after each test). A message
        # in flight stays in Redis (the stock layer's backup queue) for the next reader.
        for reader in self._readers.values():
            reader.cancel()
        self._readers.clear()

    async def _read(self, real_channel: str) -> None:
        while True:
            try:
                names, message = await self.receive_single(real_channel)
            except (OSError, aioredis.RedisError) as error:
                # Redis away: the messages wait there (for `expiry`); read again shortly.
                logger.warning("live.layer_read_failed", error=repr(error))
                await asyncio.sleep(READ_RETRY_SECONDS)
                continue
            for name in names if isinstance(names, list) else [names]:
                inbox = self._inboxes.get(name)
                if inbox is not None:  # else its consumer has ended
                    inbox.put_nowait(message)

    async def flush(self) -> None:
        loop = asyncio.get_running_loop()
        readers = [reader for (owner, _), reader in self._readers.items() if owner is loop]
        self._stop_readers()
        for reader in readers:
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        await super().flush()
