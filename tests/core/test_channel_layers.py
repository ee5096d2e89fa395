"""The core Redis channel layer (apps.core.channel_layers) against the real Redis.

A connect storm larger than its pool still joins every socket (the pool waits instead of
raising: stack-notes trap 14) and opens no more connections than the pool allows; a
message to many channels of one process reaches each exactly once; a channel whose
consumer ended is forgotten.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
import pytest_asyncio
import redis
from django.conf import settings

from apps.core.channel_layers import RedisChannelLayer

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio]

POOL = 5


NAME = f"test-layer-{uuid.uuid4().hex[:8]}"


@pytest_asyncio.fixture
async def layer():
    layer = RedisChannelLayer(
        hosts=[
            {
                "address": settings.REDIS_URL,
                "max_connections": POOL,
                "socket_timeout": 15,
                "client_name": NAME,  # to count its connections in CLIENT LIST
            }
        ],
        prefix=f"{settings.CACHE_KEY_PREFIX}:{NAME}",
        capacity=100,
        expiry=30,
    )
    yield layer
    await layer.flush()


def _connections() -> int:
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return sum(1 for c in client.client_list() if c.get("name") == NAME)


def _members(layer: RedisChannelLayer, group: str) -> int:
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return int(client.zcard(layer._group_key(group)))


async def test_a_storm_larger_than_the_pool_joins_and_leaves_every_channel(layer):
    channels = [await layer.new_channel() for _ in range(300)]
    await asyncio.gather(*(layer.group_add("storm", channel) for channel in channels))
    assert await asyncio.to_thread(_members, layer, "storm") == 300
    assert 0 < await asyncio.to_thread(_connections) <= POOL

    await asyncio.gather(*(layer.group_discard("storm", channel) for channel in channels[50:]))
    assert await asyncio.to_thread(_members, layer, "storm") == 50
    assert 0 < await asyncio.to_thread(_connections) <= POOL


async def test_a_group_message_reaches_every_channel_of_the_process_once(layer):
    channels = [await layer.new_channel() for _ in range(200)]
    for channel in channels:
        await layer.group_add("readers", channel)
    waiting = [asyncio.ensure_future(layer.receive(channel)) for channel in channels]
    await layer.group_send("readers", {"type": "comment.created", "html": "<p>1</p>"})
    received = await asyncio.wait_for(asyncio.gather(*waiting), timeout=10)
    assert [message["html"] for message in received] == ["<p>1</p>"] * 200

    # Nothing else is waiting for anyone: each got the message once.
    again = [asyncio.ensure_future(layer.receive(channel)) for channel in channels[:3]]
    await layer.group_send("readers", {"type": "comment.created", "html": "<p>2</p>"})
    assert [m["html"] for m in await asyncio.gather(*again)] == ["<p>2</p>"] * 3


async def test_a_channel_whose_consumer_ended_is_forgotten(layer):
    gone, staying = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("readers", gone)
    await layer.group_add("readers", staying)
    ended = asyncio.ensure_future(layer.receive(gone))
    await asyncio.sleep(0.05)
    ended.cancel()  # what Channels does when a consumer ends
    with pytest.raises(asyncio.CancelledError):
        await ended
    assert gone not in layer._inboxes

    waiting = asyncio.ensure_future(layer.receive(staying))
    await layer.group_send("readers", {"type": "comment.created", "html": "<p>late</p>"})
    assert (await asyncio.wait_for(waiting, timeout=10))["html"] == "<p>late</p>"
    assert gone not in layer._inboxes
