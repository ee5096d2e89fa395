"""A burst of sockets against a real server process on Redis (stack-notes traps 14 and 15).

Several hundred sockets connect at once, most close at once, and then the post's group
in Redis must hold only the live ones, and the next comment must reach every one of them.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import redis
from channels.layers import get_channel_layer
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from apps.comments import broadcasts
from apps.comments import services as comment_services
from tests.comments import live
from tests.servers import running_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SOCKETS = 400
KEEP = 50


def _group_size(post_id: int) -> int:
    layer = get_channel_layer()
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return int(client.zcard(layer._group_key(broadcasts.post_group(post_id))))


def _presence_size(post_id: int) -> int:
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return int(client.zcard(f"{settings.CACHE_KEY_PREFIX}:presence:post:{post_id}"))


async def _open(url: str) -> ClientConnection:
    socket = await connect(
        url, origin=Origin(live.page_origin(url)), proxy=None, compression=None, open_timeout=60
    )
    await socket.recv()  # the "live" badge: the consumer has joined its groups
    return socket


async def _until_comment(socket: ClientConnection, comment_id: int) -> None:
    while True:
        event = json.loads(await socket.recv())
        if event.get("type") == "comment.created" and event["comment"]["id"] == comment_id:
            return


async def _burst(server_url: str, post, commenter, figures: dict[str, float]) -> None:
    url = live.ws_url(server_url, f"/ws/posts/{post.pk}/?format=json")
    started = time.monotonic()
    sockets = await asyncio.gather(*(_open(url) for _ in range(SOCKETS)))
    figures["open_s"] = time.monotonic() - started
    figures["group_after_open"] = await asyncio.to_thread(_group_size, post.pk)

    leaving, staying = sockets[KEEP:], sockets[:KEEP]
    started = time.monotonic()
    await asyncio.gather(*(socket.close() for socket in leaving))
    # group_discard runs in the server after the close handshake: wait until it settles.
    figures["client_close_s"] = time.monotonic() - started
    deadline = time.monotonic() + 30
    while (size := await asyncio.to_thread(_group_size, post.pk)) != KEEP:
        assert time.monotonic() < deadline, f"the group still holds {size} channels"
        await asyncio.sleep(0.1)
    figures["close_s"] = time.monotonic() - started
    figures["group_after_close"] = size
    # The reader count (presence's sorted set) settles on the live sockets too.
    while (readers := await asyncio.to_thread(_presence_size, post.pk)) != KEEP:
        assert time.monotonic() < deadline, f"presence still counts {readers}"
        await asyncio.sleep(0.1)

    started = time.monotonic()
    comment = await asyncio.to_thread(
        comment_services.create_comment, actor=commenter, post=post, body="After the burst"
    )
    await asyncio.wait_for(
        asyncio.gather(*(_until_comment(socket, comment.pk) for socket in staying)), timeout=30
    )
    figures["deliver_s"] = time.monotonic() - started
    await asyncio.gather(*(socket.close() for socket in staying))


def test_burst_of_sockets_leaves_only_live_ones_in_the_group(
    published_post, commenter, no_hold, tmp_path: Path, settings
):
    settings.COMMENT_RATE_LIMIT = 1000
    figures: dict[str, float] = {}
    with running_server(live.server_env(), tmp_path / "server.log") as server:
        asyncio.run(_burst(server.url, published_post, commenter, figures))
        log = server.log()
    print(f"burst of {SOCKETS} sockets, {KEEP} kept: {figures}")  # noqa: T201  # figures for docs
    assert figures["group_after_open"] == SOCKETS
    assert figures["group_after_close"] == KEEP
    assert "MaxConnectionsError" not in log
    assert "Traceback" not in log
