"""The core layer's reader across event loops, and what it does when reads keep failing.

The hang this guards against (a combined integration run that never finished): the layer
object lives as long as the process, but each test runs on an event loop of its own, and
channels_redis keeps an `asyncio.Lock` per channel (`receive_clean_locks`) that binds to
the first loop that waits on it. A reader cancelled while it waited for that lock (the
test's loop ended) leaves its wait counted, so the lock is never dropped; on the next
loop, the first time the reader has to wait for it, `acquire` raises
`RuntimeError: ... is bound to a different event loop` straight away, without yielding.
The reader caught every exception and read again: a loop that never awaited anything, so
nothing else on the event loop (not even a timeout) ever ran again.

Each scenario runs on event loops of its own in a thread: a loop that spins without
awaiting never fires its own timers, so only another thread can tell it apart from a slow
one. Redis is a redis-server of the module's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import redis
from channels_redis.core import ChannelLock

from apps.core import channel_layers
from apps.core.channel_layers import ReaderEndedError, ReaderFailedError, RedisChannelLayer
from project.settings.realtime import channel_layer_settings
from tests.servers import RedisServer

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")

T = TypeVar("T")

# Far above what each scenario needs (well under a second when it works).
BOUND_SECONDS = 15


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("reader-redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def layer(redis_server: RedisServer) -> RedisChannelLayer:
    config = channel_layer_settings("core", redis_server.url, "reader-test")["default"]["CONFIG"]
    return RedisChannelLayer(**config)


def _on_new_loop(main: Callable[[], Coroutine[Any, Any, T]], *, bound: float = BOUND_SECONDS) -> T:
    """Run `main()` on an event loop of its own, in a thread; fail unless it ends in `bound`.

    The loop is then closed like pytest-asyncio's: its remaining tasks are cancelled (a
    test's sockets and the layer's reader with them) and run until they have ended.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with asyncio.Runner() as runner:
                outcome["value"] = runner.run(main())
        except BaseException as error:  # noqa: BLE001  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(bound)
    assert not thread.is_alive(), (
        f"the event loop was still busy after {bound} s: something spins without awaiting"
    )
    outcome["seconds"] = time.monotonic() - started
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def _real_channel(layer: RedisChannelLayer) -> str:
    """The key of the process's one Redis list, which the reader's lock is named after."""
    return f"{layer.prefix}specific.{layer.client_prefix}!"


async def _leave_a_cancelled_waiter(
    locks: ChannelLock, key: str, *, cleaner_finishes: bool = True
) -> None:
    """What the end of a test's loop does to channels_redis's lock while a message is
    being cleaned from the backup queue: the cleaner holds the lock, the reader waits for
    it (binding it to this loop), the loop ends and cancels the reader, then the cleaner
    releases. The cancelled wait stays counted, so the lock is kept for the next loop.
    Unless `cleaner_finishes`, the lock is left held, as by a cleaner whose loop was
    closed under it."""
    await locks.acquire(key)  # the backup cleaner's hold
    reader = asyncio.create_task(locks.acquire(key))  # the reader's next read waits
    await asyncio.sleep(0)
    reader.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reader
    if cleaner_finishes:
        locks.release(key)


async def _two_messages(layer: RedisChannelLayer) -> list[Any]:
    """Open a consumer's channel, send it two messages and receive what comes."""
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "one"})
    await layer.send(channel, {"type": "two"})
    received: list[Any] = []
    try:
        received.append((await layer.receive(channel))["type"])
        received.append((await layer.receive(channel))["type"])
    except Exception as error:  # noqa: BLE001  # what the consumer would see, kept for the test
        received.append(error)
    finally:
        await layer.flush()
    return received


def test_each_event_loop_reads_with_locks_of_its_own(layer):
    key = _real_channel(layer)
    _on_new_loop(lambda: _leave_a_cancelled_waiter(layer.receive_clean_locks, key))
    # The next test's loop: the first read takes the lock, the second waits for it while
    # the first message is cleaned, which raised "bound to a different event loop".
    assert _on_new_loop(lambda: _two_messages(layer)) == ["one", "two"]
    assert _on_new_loop(lambda: _two_messages(layer)) == ["one", "two"]


def _events(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    return [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == name]


def test_a_read_that_fails_once_is_skipped_after_a_pause(layer, caplog, monkeypatch):
    # channels_redis's own lock, shared by every loop: the setup that hung. Here the
    # error goes away by itself (the cleaner releases the lock during the pause; a long
    # pause, so a loaded machine cannot make it fail three times).
    monkeypatch.setattr(channel_layers, "READ_FAILURE_PAUSE_SECONDS", 0.5)
    layer.receive_clean_locks = ChannelLock()
    key = _real_channel(layer)
    _on_new_loop(lambda: _leave_a_cancelled_waiter(layer.receive_clean_locks, key))

    assert _on_new_loop(lambda: _two_messages(layer)) == ["one", "two"]
    assert [e["failures"] for e in _events(caplog, "live.layer_read_skipped")] == [1]
    assert _events(caplog, "live.layer_reader_ended") == []


def test_a_read_that_keeps_failing_ends_the_waiting_consumers_instead_of_spinning(layer, caplog):
    layer.receive_clean_locks = ChannelLock()  # the stock lock, as in the hang
    key = _real_channel(layer)
    _on_new_loop(
        lambda: _leave_a_cancelled_waiter(layer.receive_clean_locks, key, cleaner_finishes=False)
    )

    async def scenario() -> tuple[list[Any], list[Any], int]:
        ticks = 0

        async def heartbeat() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beating = asyncio.create_task(heartbeat())
        first = await _two_messages(layer)
        # A consumer that arrives afterwards gets a reader of its own, which fails the
        # same way and ends it too: bounded every time, and the loop keeps turning.
        second = await _two_messages(layer)
        beating.cancel()
        return first, second, ticks

    first, second, ticks = _on_new_loop(scenario)

    # Every read raises "bound to a different event loop" without yielding: the reader
    # pauses between tries, gives up after a few, and its consumers end.
    assert len(first) == 1
    assert isinstance(first[0], ReaderEndedError)
    assert "bound to a different event loop" in str(first[0])
    assert len(second) == 1
    assert isinstance(second[0], ReaderEndedError)
    # The loop kept turning while the reader tried: it paused between tries.
    assert ticks >= channel_layers.MAX_READ_FAILURES - 1
    ended = _events(caplog, "live.layer_reader_ended")
    assert len(ended) == 2  # one line each time a reader gave up, not one per try
    assert ended[0]["failures"] == channel_layers.MAX_READ_FAILURES
    assert ended[0]["consumers"] == 1
    assert "bound to a different event loop" in ended[0]["error"]


def test_redis_going_away_ends_the_waiting_consumers_after_the_retries(redis_server, layer, caplog):
    async def scenario() -> Any:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "one"})
        assert (await layer.receive(channel))["type"] == "one"
        redis_server.stop()
        try:
            await layer.receive(channel)
        except Exception as error:  # noqa: BLE001  # the consumer's view, kept for the test
            return error
        finally:
            redis_server.start()
        return None

    error = _on_new_loop(scenario)

    # A RedisError: the socket guard closes with 1013 and logs one line per socket.
    assert isinstance(error, ReaderFailedError)
    retries = _events(caplog, "live.layer_read_retried")
    assert len(retries) == len(channel_layers.READ_RETRY_DELAYS)


def test_one_lost_connection_is_retried_and_no_consumer_ends(redis_server, layer):
    async def scenario() -> list[str]:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "one"})
        received = [(await layer.receive(channel))["type"]]
        # The server drops the reader's connection (a proxy's idle timeout, a failover).
        await asyncio.sleep(0.2)  # the reader is back in BZPOPMIN

        def kill_the_reader_connection() -> int:
            with redis.Redis.from_url(redis_server.url) as admin:
                return sum(
                    admin.client_kill_filter(_id=client["id"])
                    for client in admin.client_list()
                    if client["cmd"] == "bzpopmin"
                )

        assert await asyncio.to_thread(kill_the_reader_connection) == 1
        await asyncio.sleep(0.1)
        await layer.send(channel, {"type": "two"})
        received.append((await layer.receive(channel))["type"])
        await layer.flush()
        return received

    assert _on_new_loop(scenario) == ["one", "two"]


class _SwallowsOneCancel(RedisChannelLayer):
    """A layer whose Redis read loses its first cancel, as redis-py's wait_for does on 3.11."""

    swallowed = 0

    async def _brpop_with_clean(self, index: int, channel: str, timeout: int) -> Any:
        try:
            return await super()._brpop_with_clean(index, channel, timeout)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed += 1
            return None  # the read "completed": receive_single reads again


def test_a_reader_whose_cancel_a_read_swallowed_ends_at_its_next_read(redis_server):
    config = channel_layer_settings("core", redis_server.url, "reader-test")["default"]["CONFIG"]
    layer = _SwallowsOneCancel(**config)

    async def main() -> float:
        channel = await layer.new_channel()
        layer.inbox(channel)  # a consumer takes its inbox: the reader starts
        receiver = layer._receivers[asyncio.get_running_loop()]
        reader = receiver.reader
        assert reader is not None
        await asyncio.sleep(0.2)  # the reader waits in BZPOPMIN (a 5 s timeout)
        started = time.monotonic()
        reader.cancel()  # once, as a closing event loop does
        await asyncio.wait_for(asyncio.shield(reader), timeout=2)
        return time.monotonic() - started

    with pytest.raises(asyncio.CancelledError):
        _on_new_loop(main)
    assert layer.swallowed == 1
