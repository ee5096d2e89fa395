"""Sockets that close while a comment fans out: every consumer ends, none is left behind.

On Python 3.11, `asyncio.wait_for` loses a cancel that lands in the loop turn in which the
awaited step completes (gh-86296); redis-py wraps every command it writes in wait_for. When
a consumer's pending channel receive lost the cancel Channels sends it on disconnect,
Channels' pump awaited it forever: the consumer never ended, never left its groups and
kept its Redis connection. At 1,000 sockets these piled up and the fan-out stalled.

The first test shows the CPython behaviour itself. The others run the post's live route
(the real ASGI application, the real layers on Redis) with many sockets, half of which
close while a comment is broadcast, on both Redis layers; the `swallowing` variants make a
receive lose its first cancel exactly as wait_for does, so the hang is reproduced every
run rather than once in a few thousand closes.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
import pytest_asyncio
import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from apps.comments import broadcasts, presence
from apps.core.channel_layers import RedisChannelLayer
from project.settings.realtime import channel_layer_settings
from tests.comments import live
from tests.comments.conftest import make_verified
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

SOCKETS = 120
LEAVING = 60
# Redis connections this process may hold after the burst: the layer's pool (50) and
# presence's (50) are both bounded; before, each concurrent command kept one of its own.
MAX_CONNECTIONS_AFTER = 110


@pytest.mark.asyncio
async def test_wait_for_loses_a_cancel_that_lands_as_its_step_completes():
    async def quick() -> str:
        return "done"

    task = asyncio.create_task(asyncio.wait_for(quick(), timeout=10))
    await asyncio.sleep(0)  # wait_for starts quick() as a task of its own and waits
    await asyncio.sleep(0)  # quick() completes; waking wait_for is still queued
    task.cancel()
    if sys.version_info >= (3, 12):  # wait_for was rewritten on asyncio.timeout
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        assert await task == "done"  # the cancel is gone; only cancelling() remembers it
        assert task.cancelling() == 1


# --------------------------------------------------------------------------
# Layers whose receive loses its first cancel, as one under wait_for does on 3.11
# --------------------------------------------------------------------------


class SwallowingCoreLayer(RedisChannelLayer):
    # Our consumers await their inbox on this layer (no Redis command, so nothing to
    # swallow there); `receive` is still what any other caller uses. The layer's own
    # reader losing a cancel is tests/core/test_channel_layer_reader.py's.
    async def receive(self, channel: str) -> dict[str, Any]:
        try:
            return await super().receive(channel)
        except asyncio.CancelledError:
            # What wait_for does when the cancel lands as its Redis command completes: the
            # caller carries on waiting for a message that will never come.
            return await super().receive(channel)


class SwallowingPubSubLayer(RedisPubSubChannelLayer):  # type: ignore[misc]  # untyped
    async def receive(self, channel: str) -> Any:
        try:
            return await self._get_layer().receive(channel)
        except asyncio.CancelledError:
            return await self._get_layer().receive(channel)


SWALLOWING = {
    "core": f"{__name__}.SwallowingCoreLayer",
    "pubsub": f"{__name__}.SwallowingPubSubLayer",
}


@pytest.fixture(params=["core", "pubsub", "core-swallowing", "pubsub-swallowing"])
def layer_kind(request, settings) -> str:
    param: str = request.param
    backend, _, swallowing = param.partition("-")
    layers = channel_layer_settings(backend, settings.REDIS_URL, settings.CACHE_KEY_PREFIX)
    if swallowing:
        layers["default"]["BACKEND"] = SWALLOWING[backend]
    settings.CHANNEL_LAYERS = layers  # channels resets its layers on setting_changed
    settings.COMMENT_RATE_LIMIT = 1000
    return backend


@pytest.fixture
def open_post(db):
    from apps.comments.models import ModerationSettings

    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.NONE}
    )
    return PostFactory.create(comments_open=True)


@pytest.fixture
def reader(db):
    return make_verified(UserFactory.create())


@pytest_asyncio.fixture
async def _close_presence():
    yield
    await presence.close_connections()


def _redis_clients() -> int:
    """Client connections on this run's Redis database, this one left out."""
    db = int(settings.REDIS_URL.rsplit("/", 1)[1] or 0)
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        me = client.client_id()
        return sum(1 for c in client.client_list() if int(c["db"]) == db and int(c["id"]) != me)


async def _members(backend: str, group: str) -> int:
    layer = get_channel_layer()
    if backend == "core":
        return await live.group_size(group)
    # The pub/sub layer keeps groups in this process, per event loop.
    groups = layer._get_layer().groups
    return len(groups.get(layer._get_layer()._get_group_channel_name(group), ()))


# Tasks that live as long as the event loop by design: the pub/sub layer's one reader per
# loop, and presence's debounced reader counts.
LOOP_TASKS = ("RedisSingleShardConnection._do_receiving", "_broadcast_later")


async def _leftover_tasks() -> list[str]:
    names = [task.get_coro().__qualname__ for task in asyncio.all_tasks()]  # type: ignore[union-attr]
    current = asyncio.current_task()
    own = current.get_coro().__qualname__ if current else ""  # type: ignore[union-attr]
    return sorted(n for n in names if n != own and not n.endswith(LOOP_TASKS))


async def _comment_id(socket: Any) -> int:
    while True:
        event = await live.next_event(socket, timeout=15)
        if event["type"] == "comment.created":
            return int(event["comment"]["id"])


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("_close_presence")
async def test_sockets_closing_during_a_fan_out_all_end_and_the_rest_receive_it(
    layer_kind, open_post, reader
):
    path = f"/ws/posts/{open_post.pk}/?format=json"
    group = broadcasts.post_group(open_post.pk)
    assert await _leftover_tasks() == []

    sockets = await asyncio.gather(*(live.open_socket(path) for _ in range(SOCKETS)))
    for socket in sockets:
        assert (await live.next_event(socket, timeout=15))["type"] == "live.connected"
    assert await _members(layer_kind, group) == SOCKETS

    leaving, staying = sockets[:LEAVING], sockets[LEAVING:]
    # The comment is broadcast while half of the sockets close.
    comment, *_ = await asyncio.gather(
        live.create_comment(reader, open_post, body="While they leave"),
        *(socket.disconnect(timeout=20) for socket in leaving),
    )
    # Each consumer that was told its client left ended by itself: none had to be cancelled
    # by the test harness after the timeout (which is what a lost cancel led to).
    assert [s.future.cancelled() for s in leaving] == [False] * LEAVING
    assert all(s.future.done() for s in leaving)
    await live.eventually(lambda: _members(layer_kind, group), SOCKETS - LEAVING, timeout=10)

    # Every socket still open receives the comment, once.
    received = await asyncio.gather(*(_comment_id(socket) for socket in staying))
    assert received == [comment.pk] * len(staying)

    assert await sync_to_async(_redis_clients)() <= MAX_CONNECTIONS_AFTER

    # Together, as a crowd leaves: one by one, each swallowed cancel costs its consumer the
    # pump's first wait (apps/core/aio.py), a minute for the test and nothing for a reader.
    await asyncio.gather(*(socket.disconnect(timeout=20) for socket in staying))
    assert not any(s.future.cancelled() for s in staying)

    # No receive, reader or pump task outlives its socket (a lost cancel leaves one behind).
    await live.eventually(_leftover_tasks, [], timeout=10)
    if layer_kind == "core":
        layer = get_channel_layer()
        receiver = layer._receivers.get(asyncio.get_running_loop())
        assert receiver is None or (not receiver.inboxes and receiver.reader is None)
