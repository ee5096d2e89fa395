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
- **Reads that fail end in bounded time.** A Redis error is retried after a pause
  (`READ_RETRY_DELAYS`); when the retries fail too, every waiting consumer ends with
  `ReaderFailedError` (1013). Any other error skips the read after a pause; after
  `MAX_READ_FAILURES` in a row the reader logs one `live.layer_reader_ended` line and
  every waiting consumer ends with `ReaderEndedError` (1011). Both close codes make
  clients reconnect and catch up with `?since=`; the next consumer starts a new reader.
  The reader never reads again without awaiting a pause first: a catch-all retry once
  spun on an error raised without yielding and held the event loop for good.
- **channels_redis's per-channel locks per event loop** (`_PerLoopChannelLock`): the
  stock ones bind to the first loop that waits on them and could outlive it, which is
  how that error ("bound to a different event loop") came about.

Private API used, all of channels_redis 4.3.0: `receive_single` (read one message, with its
backup-queue handling), `_brpop_with_clean` (its read, which ends a cancelled reader), `non_local_name`, `client_prefix`, `BoundedQueue`, `ChannelLock`,
`receive_clean_locks`, `hosts` and `create_pool`. tests/core/test_channel_layer_loops.py and
tests/core/test_channel_layer_reader.py cover them; re-check them on upgrade.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import structlog
from channels_redis.core import BoundedQueue, ChannelLock
from channels_redis.core import RedisChannelLayer as StockRedisChannelLayer
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from apps.core.aio import cancel_and_wait

logger = structlog.get_logger("inkwell.live")

# How long a command waits for a free pooled connection before it fails (TimeoutError).
DEFAULT_POOL_TIMEOUT = 10.0
# After a read that Redis failed (a connection closed by the server or a proxy, a
# failover's moment), the reader pauses this long and reads again, once per entry; when
# every retry has failed too, Redis is down and the waiting consumers end (1013).
READ_RETRY_DELAYS = (0.2, 0.5, 1.0)
# A read that fails with anything else (a message that cannot be decoded, a bug, an
# asyncio lock bound to another event loop) is skipped after a pause; this many in a row
# and the reader gives up: one log line, and the waiting consumers end (1011).
MAX_READ_FAILURES = 3
READ_FAILURE_PAUSE_SECONDS = 0.1


class ReaderFailedError(RedisError):
    """The layer could not read from Redis: every consumer waiting on this process ends
    with it (the socket guard closes them with 1013; the clients reconnect and catch up)."""


class ReaderEndedError(Exception):
    """The layer's reader kept failing for a reason other than Redis and gave up: every
    consumer waiting on this loop ends with it (the socket guard closes them with 1011,
    which clients retry like 1013, catching up with ?since=). The reader logged the cause
    once (`live.layer_reader_ended`), so the guard logs nothing more per socket."""


class _PerLoopChannelLock(ChannelLock):  # type: ignore[misc]  # channels_redis is untyped
    """channels_redis's per-channel locks (`receive_clean_locks`), one set per event loop.

    The stock `ChannelLock` is one dict of `asyncio.Lock`s for the layer, and a lock binds
    to the first loop that waits on it. A wait that was cancelled stays counted (its
    `acquire` is outside receive_single's try), so such a lock is never dropped: when the
    loop that bound it ended (each test runs on a loop of its own; the layer object lives
    as long as the process), the next loop's first wait on it raised "bound to a
    different event loop" at once, without yielding. Each loop here has locks of its own.
    """

    def __init__(self) -> None:
        self._loops: dict[asyncio.AbstractEventLoop, ChannelLock] = {}

    def _for_loop(self) -> ChannelLock:
        loop = asyncio.get_running_loop()
        locks = self._loops.get(loop)
        if locks is None:
            for old in [old for old in self._loops if old.is_closed()]:
                del self._loops[old]
            locks = self._loops[loop] = ChannelLock()
        return locks

    async def acquire(self, channel: str) -> bool:
        return await self._for_loop().acquire(channel)  # type: ignore[no-any-return]

    def locked(self, channel: str) -> bool:
        return self._for_loop().locked(channel)  # type: ignore[no-any-return]

    def release(self, channel: str) -> None:
        self._for_loop().release(channel)


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
        self.receive_clean_locks = _PerLoopChannelLock()
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

    def inbox(self, channel: str) -> asyncio.Queue[Any]:
        """The queue `channel`'s messages arrive in, for a consumer that reads it itself.

        apps.core.live's consumers await it directly (apps.core.aio.dispatch_from_inbox)
        instead of calling `receive` per message: a message to 500 sockets of a process is
        then 500 `Queue.get()`s, not 500 new tasks. Errors arrive as exception instances,
        as `receive` raises them. The consumer calls `forget_channel` when it ends.
        """
        if "!" not in channel:
            raise ValueError("only a process-specific channel has an inbox")
        receiver = self._receiver()
        inbox = self._inbox(receiver, channel)
        self._ensure_reader(receiver)
        return inbox

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

    async def _brpop_with_clean(self, index: int, channel: str, timeout: int) -> Any:
        # receive_single reads again and again until a message comes (BZPOPMIN with a
        # timeout). A cancel that a read swallowed (apps.core.aio) would leave that loop
        # reading for good: the next read ends the task instead.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError
        return await super()._brpop_with_clean(index, channel, timeout)

    async def _read(self, receiver: _LoopReceiver, real_channel: str) -> None:
        """Read the process's queue into the inboxes until cancelled or given up.

        Every failure is followed by a pause (an `await` that yields to the loop), so a
        read that fails at once, again and again, never holds the event loop.
        """
        redis_failures = other_failures = 0
        this = asyncio.current_task()
        while True:
            if this is not None and this.cancelling():
                # Cancelled, but a Redis command below swallowed it (Python 3.11's wait_for
                # under redis-py, apps.core.aio): end as if it had arrived, or the read
                # after it would keep the reader, and an event loop closing, alive.
                raise asyncio.CancelledError
            try:
                names, message = await self.receive_single(real_channel)
            except (RedisError, OSError) as error:  # OSError: TimeoutError included
                other_failures = 0
                if redis_failures < len(READ_RETRY_DELAYS):
                    # One connection lost is not an outage: the pool gives the next read
                    # a fresh one. With the stock layer it ended one consumer; here it
                    # would end all of them.
                    delay = READ_RETRY_DELAYS[redis_failures]
                    redis_failures += 1
                    logger.info(
                        "live.layer_read_retried",
                        error=_describe(error),
                        attempt=redis_failures,
                        delay=delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                # Redis is away: every waiting consumer ends with a RedisError (the socket
                # guard closes them with 1013, one line each; clients catch up on reconnect).
                reason = _describe(error)
                self._end_consumers(receiver, ReaderFailedError, reason)
                return
            except Exception as error:
                redis_failures = 0
                other_failures += 1
                if other_failures < MAX_READ_FAILURES:
                    await asyncio.sleep(READ_FAILURE_PAUSE_SECONDS)
                    continue
                reason = _describe(error)
                logger.error(
                    "live.layer_reader_ended",
                    error=reason,
                    failures=other_failures,
                    consumers=len(receiver.inboxes),
                    exc_info=error,
                )
                self._end_consumers(receiver, ReaderEndedError, reason)
                return
            if other_failures:
                # A bad message or two, then a good read: the reader goes on (one line).
                logger.warning("live.layer_read_skipped", failures=other_failures)
            redis_failures = other_failures = 0
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

    def _end_consumers(self, receiver: _LoopReceiver, error: type[Exception], reason: str) -> None:
        """Give every consumer that waits on this loop an error to end with (an instance
        each: each is raised in a task of its own, with a traceback of its own)."""
        for inbox in receiver.inboxes.values():
            inbox.put_nowait(error(reason))

    async def flush(self) -> None:
        receiver = self._receivers.pop(asyncio.get_running_loop(), None)
        if receiver is not None:
            tasks = [t for t in (receiver.stopping, receiver.reader) if t is not None]
            await cancel_and_wait(tasks, first_wait=0.2)
        await super().flush()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]
