"""The core Redis channel layer of the live routes (CHANNEL_LAYER_BACKEND=core, the default).

`channels_redis.core.RedisChannelLayer` (4.3.0) with two changes, both about many open
sockets on one process; groups, expiry, capacity and the messages that wait in Redis for a
process that lost it for a moment are the stock layer's.

- **A bounded pool that waits.** redis-py 8's default pool opens a connection for every
  concurrent command and keeps it, and with `max_connections` it raises once full instead
  of waiting (stack-notes trap 14). A connect storm of 1,000 sockets (a `group_add` each)
  therefore left about a thousand idle connections per process open for good (2,135 for
  two processes). A `BlockingConnectionPool` waits up to `pool_timeout` seconds for a free
  connection instead, so a pool of 50 per event loop serves any burst.
- **One reader per event loop, owned by the layer.** The stock `receive` already reads the
  process's Redis queue one consumer at a time (`receive_lock`, `receive_buffer`), but the
  reader is whichever consumer holds the lock: the Redis read runs inside a consumer's task.
  When that consumer ends, its pending receive is cancelled in the middle of a Redis
  command, and on Python 3.11 redis-py's `wait_for` can swallow that cancel (apps.core.aio):
  the dead consumer's receive then loops on for a channel nobody will ever write to again,
  holding the lock, and Channels waits for it forever. Here a task per event loop that
  belongs to the layer reads the queue (`receive_single`, `BZPOPMIN` as before) and puts
  each message into the inboxes of the consumers it names; a consumer's `receive` is a
  plain `Queue.get()`, which a cancel always ends. The reader stops (cancelled until it
  has ended) when the loop has no consumer left, and starts again with the next one.

Private API used, all of channels_redis 4.3.0: `receive_single` (read one message, with its
backup-queue handling), `non_local_name`, `client_prefix`, `BoundedQueue`, `hosts` and
`create_pool`. tests/core/test_channel_layer_loops.py covers them; re-check it on upgrade.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import structlog
from channels_redis.core import BoundedQueue
from channels_redis.core import RedisChannelLayer as StockRedisChannelLayer
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from apps.core.aio import cancel_and_wait

logger = structlog.get_logger("inkwell.live")

# How long a command waits for a free pooled connection before it fails (TimeoutError).
DEFAULT_POOL_TIMEOUT = 10.0
# After a failed read, wait this long and read once more before giving up on Redis.
READ_RETRY_SECONDS = 0.2


class ReaderFailedError(RedisError):
    """The layer could not read from Redis: every consumer waiting on this process ends
    with it (the socket guard closes them with 1013; the clients reconnect and catch up)."""


@dataclass
class _LoopReceiver:
    """What one event loop reads: its consumers' inboxes and the task that fills them."""

    inboxes: dict[str, asyncio.Queue[Any]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None
    stopping: asyncio.Task[None] | None = None


class RedisChannelLayer(StockRedisChannelLayer):  # type: ignore[misc]  # channels_redis is untyped
    def __init__(
        self, *args: Any, pool_timeout: float = DEFAULT_POOL_TIMEOUT, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pool_timeout = pool_timeout
        self._receivers: dict[asyncio.AbstractEventLoop, _LoopReceiver] = {}

    # --- connections ------------------------------------------------------------------

    def create_pool(self, index: int) -> aioredis.ConnectionPool:
        host = dict(self.hosts[index])
        address = host.pop("address", None)
        if address is None:  # sentinels and host/port dicts: the stock pool
            return super().create_pool(index)  # type: ignore[no-any-return]
        return aioredis.BlockingConnectionPool.from_url(address, timeout=self.pool_timeout, **host)

    # --- receiving ----------------------------------------------------------------------

    def _receiver(self) -> _LoopReceiver:
        loop = asyncio.get_running_loop()
        receiver = self._receivers.get(loop)
        if receiver is None:
            # Loops that ended (tests run one per test) leave nothing behind worth keeping.
            for old in [old for old, r in self._receivers.items() if old.is_closed()]:
                del self._receivers[old]
            receiver = self._receivers[loop] = _LoopReceiver()
        return receiver

    def _inbox(self, receiver: _LoopReceiver, channel: str) -> asyncio.Queue[Any]:
        inbox = receiver.inboxes.get(channel)
        if inbox is None:
            # A channel made in one loop and read in another (async_to_sync in tests) moves.
            for other in self._receivers.values():
                if other is not receiver and channel in other.inboxes:
                    inbox = other.inboxes.pop(channel)
                    break
            else:
                inbox = BoundedQueue(self.get_capacity(channel))
            receiver.inboxes[channel] = inbox
        return inbox

    async def new_channel(self, prefix: str = "specific") -> str:
        channel: str = await super().new_channel(prefix)
        # The inbox exists before the consumer joins a group, so nothing sent to the group
        # between the join and the consumer's first receive is dropped by the reader.
        self._inbox(self._receiver(), channel)
        return channel

    async def receive(self, channel: str) -> dict[str, Any]:
        if "!" not in channel:  # a general channel (workers): the stock path
            message: dict[str, Any] = await super().receive(channel)
            return message
        assert self.non_local_name(channel).endswith(self.client_prefix + "!")  # noqa: S101
        receiver = self._receiver()
        inbox = self._inbox(receiver, channel)
        self._ensure_reader(receiver)
        try:
            item = await inbox.get()
        except asyncio.CancelledError:
            # Channels cancels the pending receive when the consumer ends: the channel is
            # gone (the stock layer drops its buffer the same way).
            self._forget(receiver, channel)
            raise
        if isinstance(item, BaseException):
            self._forget(receiver, channel)
            raise item
        received: dict[str, Any] = item
        return received

    def forget_channel(self, channel: str) -> None:
        """Drop `channel`'s inbox: its consumer has ended (call on the loop that read it).

        Channels has no "delete channel" call. A consumer's receive is cancelled when it
        ends, which drops the inbox, but one that had just completed with a message when
        the consumer ended is not, so apps.core.live's consumers say so here.
        """
        self._forget(self._receiver(), channel)

    def _forget(self, receiver: _LoopReceiver, channel: str) -> None:
        receiver.inboxes.pop(channel, None)
        if not receiver.inboxes and receiver.reader is not None and receiver.stopping is None:
            receiver.stopping = asyncio.get_running_loop().create_task(self._stop(receiver))

    def _ensure_reader(self, receiver: _LoopReceiver) -> None:
        if receiver.stopping is not None:
            return  # _stop starts a new reader if consumers arrived meanwhile
        if receiver.reader is None or receiver.reader.done():
            real_channel = f"specific.{self.client_prefix}!"
            receiver.reader = asyncio.get_running_loop().create_task(
                self._read(receiver, real_channel)
            )

    async def _stop(self, receiver: _LoopReceiver) -> None:
        try:
            await asyncio.sleep(0)  # a consumer that connects right now keeps the reader
            if not receiver.inboxes and receiver.reader is not None:
                # A message the reader was taking stays in Redis's backup queue and is
                # put back by the next read (the stock layer's own guarantee).
                await cancel_and_wait([receiver.reader], first_wait=0.2)
                receiver.reader = None
        finally:
            receiver.stopping = None
        if receiver.inboxes:
            self._ensure_reader(receiver)

    async def _read(self, receiver: _LoopReceiver, real_channel: str) -> None:
        retried = False
        while True:
            try:
                names, message = await self.receive_single(real_channel)
                retried = False
            except (RedisError, OSError) as error:
                if not retried:
                    # One connection lost (closed by the server or a proxy) is not an
                    # outage: the pool gives the next read a fresh one. With the stock
                    # layer it ended one consumer; here it would end all of them.
                    logger.info("live.layer_read_retried", error=repr(error)[:300])
                    retried = True
                    await asyncio.sleep(READ_RETRY_SECONDS)
                    continue
                # Redis is away: end every consumer that waits (the socket guard closes
                # them with 1013 and their clients catch up with ?after= on reconnect).
                failure = ReaderFailedError(f"{type(error).__name__}: {error}")
                for inbox in receiver.inboxes.values():
                    inbox.put_nowait(failure)
                return
            except Exception:  # one unreadable message must not stop the reader
                logger.exception("live.layer_read_failed")
                continue
            for name in names if isinstance(names, list) else [names]:
                target = receiver.inboxes.get(name)
                if target is None:
                    continue  # its consumer has ended
                if target.full():
                    # Nobody has read it for `capacity` messages: a consumer that ended
                    # without saying so (not one of ours). Let it go rather than keep it.
                    self._forget(receiver, name)
                    continue
                target.put_nowait(message)

    async def flush(self) -> None:
        receiver = self._receivers.pop(asyncio.get_running_loop(), None)
        if receiver is not None:
            tasks = [t for t in (receiver.stopping, receiver.reader) if t is not None]
            await cancel_and_wait(tasks, first_wait=0.2)
        await super().flush()
