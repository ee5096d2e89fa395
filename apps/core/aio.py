"""asyncio helpers for the live plumbing: cancellation that really ends a task, and the pump.

Why they exist: on Python 3.11, `asyncio.wait_for` can swallow a cancellation (gh-86296,
the bpo-42130 family, fixed by 3.12's rewrite of wait_for). When `task.cancel()` lands in
the loop turn in which the awaited inner step completes, wait_for returns the inner result
instead of raising CancelledError, so the task carries on as if nothing had happened.
redis-py 8 wraps every command it writes in `wait_for(..., socket_timeout)`, so any
coroutine that talks to Redis can lose a cancel this way. Channels' own dispatch pump
(`channels.utils.await_many_dispatch`, channels 4.3.2) cancels each source once and then
awaits it without a time limit: a source that lost the cancel keeps the consumer (and its
socket, its group membership and its Redis connection) alive for good. Under a burst of
1,000 sockets closing while a comment fanned out, these piled up until the process slowed
to a crawl (docs/architecture.md, "Live updates").

- `cancel_and_wait`: cancel, wait a little, and cancel again until the tasks have ended.
- `dispatch_until_done`: Channels' pump with two changes: it ends when its own task was
  cancelled even if something below swallowed the CancelledError (3.11's
  `Task.cancelling()` still counts the request), and it ends its sources with
  `cancel_and_wait` instead of one cancel and an unbounded await.
- `dispatch_from_inbox`: the same pump for a consumer whose channel layer hands it the
  queue its messages arrive in (apps.core.channel_layers): the socket's events are put
  into that queue too, so a message costs one `Queue.get()`, not a new task and an
  `asyncio.wait` over two.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog

logger = structlog.get_logger("inkwell.live")

# After the first cancel a task normally ends within a loop turn or two, but a clean-up it
# runs on the way out (the pub/sub layer unsubscribes) may queue behind other sockets' under
# a burst: give it that long before cancelling again, then retry at RETRY_SECONDS.
FIRST_WAIT_SECONDS = 1.0
RETRY_SECONDS = 0.1
MAX_CANCELS = 30


async def cancel_and_wait(
    tasks: Sequence[asyncio.Future[Any]],
    *,
    first_wait: float = FIRST_WAIT_SECONDS,
    retry: float = RETRY_SECONDS,
    max_cancels: int = MAX_CANCELS,
) -> bool:
    """Cancel `tasks` until every one has ended; False (and a log line) if some never did.

    One cancel is not enough on Python 3.11 (module docstring): a task that swallowed it is
    still running after the wait, so it is cancelled again; the next cancel lands at another
    await, where nothing swallows it.
    """
    pending = {task for task in tasks if not task.done()}
    wait = first_wait
    for _ in range(max_cancels):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=wait)
        wait = retry
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: a source that failed as it ended is not news
    if pending:
        logger.warning("live.task_survived_cancel", tasks=len(pending), cancels=max_cancels)
        return False
    return True


def _cancel_was_requested() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def dispatch_until_done(
    sources: Sequence[Callable[[], Awaitable[Any]]],
    dispatch: Callable[[Any], Awaitable[None]],
) -> None:
    """Await every source, dispatch what each returns, and call it again, until cancelled
    or until `dispatch` raises (StopConsumer ends a consumer); then end the sources."""
    tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(source()) for source in sources]
    try:
        while True:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for index, task in enumerate(tasks):
                if task.done():
                    await dispatch(task.result())
                    tasks[index] = asyncio.ensure_future(sources[index]())
                if _cancel_was_requested():
                    # Our own task was cancelled and something below (a Redis command under
                    # wait_for, in a handler) swallowed it: end as if it had arrived.
                    raise asyncio.CancelledError
    finally:
        await cancel_and_wait(tasks)


async def dispatch_from_inbox(
    receive: Callable[[], Awaitable[Any]],
    inbox: asyncio.Queue[Any],
    dispatch: Callable[[Any], Awaitable[None]],
) -> None:
    """`dispatch_until_done` for one socket whose channel messages arrive in `inbox`.

    A relay task puts the socket's own events (`receive()`) into the same queue, so the
    pump awaits one queue: in the order things arrived, as the two-source pump did. An
    exception in the queue (the layer's reader failed, or the socket's receive did) is
    raised here, as a failed receive was. Ends when cancelled (even if something below
    swallowed the cancel), when `dispatch` raises (StopConsumer), or on an exception; the
    relay is then ended with `cancel_and_wait`.
    """

    async def relay() -> None:
        try:
            while True:
                message = await receive()
                inbox.put_nowait(message)
                if message.get("type") == "websocket.disconnect":
                    return
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001  (the socket's receive failed: the pump raises it)
            inbox.put_nowait(error)

    relaying = asyncio.ensure_future(relay())
    try:
        while True:
            item = await inbox.get()
            if isinstance(item, BaseException):
                raise item
            await dispatch(item)
            if _cancel_was_requested():
                raise asyncio.CancelledError  # see dispatch_until_done
    finally:
        await cancel_and_wait([relaying])
