"""A burst of sockets against a real server process on Redis (stack-notes traps 14 and 15).

Several hundred sockets connect at once, most close at once, and then the post's group
must hold only the live ones, and the next comment must reach every one of them; once
the rest close, the group is empty. On each channel layer CHANNEL_LAYER_BACKEND selects:
the core layer keeps a group as a sorted set in Redis (its size is the members); the
pub/sub layer keeps members in the server's memory and subscribes the process to the
group's Redis channel while it has any (so the subscription ends only when every member
has left).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from apps.comments import broadcasts
from apps.comments import services as comment_services
from project.settings.realtime import channel_layer_settings
from tests.comments import live
from tests.servers import running_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SOCKETS = 400
KEEP = 50


LAYERS = ["core", "pubsub"]


def _group_size(post_id: int) -> int:
    """Members of the post's group in Redis (core layer)."""
    layer = get_channel_layer()
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return int(client.zcard(layer._group_key(broadcasts.post_group(post_id))))


def _group_subscribers(post_id: int) -> int:
    """Server processes subscribed to the post's group channel (pub/sub layer)."""
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    channel = f"{prefix}__group__{broadcasts.post_group(post_id)}"
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return int(dict(client.pubsub_numsub(channel))[channel.encode()])


def _members(layer: str, post_id: int) -> int:
    """What the layer records of the post's group: members (core) or processes (pub/sub)."""
    return _group_size(post_id) if layer == "core" else _group_subscribers(post_id)


async def _settles(check, expected: int, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (value := await asyncio.to_thread(check)) != expected:
        assert time.monotonic() < deadline, f"{what} still {value}, not {expected}"
        await asyncio.sleep(0.1)


def _presence_size(post_id: int) -> int:
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return int(client.zcard(f"{settings.CACHE_KEY_PREFIX}:presence:post:{post_id}"))


async def _open(url: str) -> ClientConnection:
    socket = await connect(
        url, origin=Origin("http://127.0.0.1"), proxy=None, compression=None, open_timeout=60
    )
    await socket.recv()  # the "live" badge: the consumer has joined its groups
    return socket


async def _until_comment(socket: ClientConnection, comment_id: int) -> None:
    while True:
        event = json.loads(await socket.recv())
        if event.get("type") == "comment.created" and event["comment"]["id"] == comment_id:
            return


async def _burst(server_url: str, layer: str, post, commenter, figures: dict[str, float]) -> None:
    url = live.ws_url(server_url, f"/ws/posts/{post.pk}/?format=json")
    # One server process: the pub/sub layer's group has one subscriber while it has members.
    live_members = KEEP if layer == "core" else 1
    started = time.monotonic()
    sockets = await asyncio.gather(*(_open(url) for _ in range(SOCKETS)))
    figures["open_s"] = time.monotonic() - started
    figures["group_after_open"] = await asyncio.to_thread(_members, layer, post.pk)

    leaving, staying = sockets[KEEP:], sockets[:KEEP]
    started = time.monotonic()
    await asyncio.gather(*(socket.close() for socket in leaving))
    # group_discard runs in the server after the close handshake: wait until it settles.
    figures["client_close_s"] = time.monotonic() - started
    await _settles(lambda: _members(layer, post.pk), live_members, "the group")
    figures["close_s"] = time.monotonic() - started
    # The reader count (presence's sorted set) settles on the live sockets too.
    await _settles(lambda: _presence_size(post.pk), KEEP, "presence")

    started = time.monotonic()
    comment = await asyncio.to_thread(
        comment_services.create_comment, actor=commenter, post=post, body="After the burst"
    )
    await asyncio.wait_for(
        asyncio.gather(*(_until_comment(socket, comment.pk) for socket in staying)), timeout=30
    )
    figures["deliver_s"] = time.monotonic() - started
    await asyncio.gather(*(socket.close() for socket in staying))
    # Every member left: nothing of the group remains (no ghost keeps the subscription).
    await _settles(lambda: _members(layer, post.pk), 0, "the group after the last close")
    await _settles(lambda: _presence_size(post.pk), 0, "presence after the last close")


@pytest.fixture(params=LAYERS)
def layer(request: pytest.FixtureRequest, settings) -> Iterator[str]:
    """The server's channel layer, and this process's too (the comment is broadcast here)."""
    settings.CHANNEL_LAYERS = channel_layer_settings(
        request.param, settings.REDIS_URL, settings.CACHE_KEY_PREFIX
    )
    channel_layers.backends.clear()
    yield str(request.param)
    channel_layers.backends.clear()


def test_burst_of_sockets_leaves_only_live_ones_in_the_group(
    layer, published_post, commenter, no_hold, tmp_path: Path, settings
):
    settings.COMMENT_RATE_LIMIT = 1000
    figures: dict[str, float] = {}
    env = live.server_env(CHANNEL_LAYER_BACKEND=layer)
    with running_server(env, tmp_path / "server.log") as server:
        asyncio.run(_burst(server.url, layer, published_post, commenter, figures))
        log = server.log()
    print(f"{layer}: burst of {SOCKETS} sockets, {KEEP} kept: {figures}")  # noqa: T201  # figures for docs
    assert figures["group_after_open"] == (SOCKETS if layer == "core" else 1)
    assert "MaxConnectionsError" not in log
    assert "Traceback" not in log
