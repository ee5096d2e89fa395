"""Helpers for the live-route tests (in-memory layer, Redis layer, burst, two processes)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from apps.accounts.models import User
from project.asgi import application

# What a browser sends from a page at http://127.0.0.1:8000: the origin check compares the
# page's scheme, host and port with the handshake's own (apps.core.websocket).
ORIGIN = (b"origin", b"http://127.0.0.1:8000")
BROWSER = [(b"host", b"127.0.0.1:8000"), ORIGIN]


def session_cookie(user: User) -> bytes:
    """A `Cookie:` header value for a real session of `user` (what a browser would send)."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def open_socket(
    path: str, *, user: User | None = None, app: Any = None
) -> WebsocketCommunicator:
    """Connect (and expect the handshake to be accepted) as `user` or anonymously."""
    headers = [*BROWSER]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(app or application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def close_code(communicator: WebsocketCommunicator) -> int | None:
    """The code the server closed with (it accepts first so clients can read the code)."""
    while True:
        output = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            code: int | None = output.get("code")
            return code


async def receive_json(communicator: WebsocketCommunicator, *, timeout: float = 5) -> Any:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def eventually(
    check: Callable[[], Awaitable[Any]], expected: Any, *, timeout: float = 5
) -> None:
    """Poll `check()` until it returns `expected` (work the server does after accepting)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    value = await check()
    while value != expected:
        if loop.time() > deadline:
            raise AssertionError(f"expected {expected!r}, still {value!r}")
        await asyncio.sleep(0.05)
        value = await check()


def is_presence(frame: str) -> bool:
    return 'id="reader-count"' in frame or '"type": "presence"' in frame


async def next_frame(
    communicator: WebsocketCommunicator, *, timeout: float = 5, presence: bool = False
) -> str:
    """The next text frame, skipping reader counts unless `presence`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await communicator.receive_from(timeout=max(0.01, deadline - loop.time()))
        if is_presence(frame) == presence:
            return str(frame)


async def next_event(
    communicator: WebsocketCommunicator, *, timeout: float = 5, presence: bool = False
) -> dict[str, Any]:
    """The next JSON event (format=json sockets), skipping reader counts unless `presence`."""
    event: dict[str, Any] = json.loads(
        await next_frame(communicator, timeout=timeout, presence=presence)
    )
    return event


async def frames_within(communicator: WebsocketCommunicator, seconds: float) -> list[str]:
    """Every frame that arrives within `seconds`, reader counts left out."""
    frames: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        if await communicator.receive_nothing(timeout=min(left, 0.1), interval=0.01):
            continue
        frame = await communicator.receive_from(timeout=1)
        if not is_presence(frame):
            frames.append(frame)
    return frames


async def readers_seen(
    communicator: WebsocketCommunicator, expected: int, timeout: float = 5
) -> None:
    """Wait until a presence event says `expected` readers."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        event = await next_event(
            communicator, timeout=max(0.01, deadline - loop.time()), presence=True
        )
        last = event["readers"]
        if last == expected:
            return
    raise AssertionError(f"readers never became {expected} (last {last})")


# --------------------------------------------------------------------------
# Flows shared by the in-memory and the Redis layer tests
# --------------------------------------------------------------------------


async def create_comment(
    actor: User, post: Any, body: str = "Hello **there**", **kwargs: Any
) -> Any:
    from apps.comments import services

    return await sync_to_async(services.create_comment)(actor=actor, post=post, body=body, **kwargs)


async def flow_public_comment_reaches_html_and_json(post: Any, commenter: User) -> None:
    browser = await open_socket(f"/ws/posts/{post.pk}/")
    app = await open_socket(f"/ws/posts/{post.pk}/?format=json")
    assert 'data-live="connected"' in await next_frame(browser)
    assert (await next_event(app))["type"] == "live.connected"

    comment = await create_comment(commenter, post)

    html = await next_frame(browser)
    assert f'id="comment-{comment.pk}"' in html
    assert 'hx-swap-oob="beforeend:#comment-list"' in html
    event = await next_event(app)
    assert event["type"] == "comment.created"
    assert event["comment"]["id"] == comment.pk
    assert event["comment"]["author"]["username"] == commenter.username
    assert "<strong>there</strong>" in event["comment"]["body_html"]
    await browser.disconnect()
    await app.disconnect()


async def flow_held_comment_reaches_only_author_and_moderators(
    post: Any, author: User, moderator: User, reader: User
) -> None:
    from apps.comments import services

    path = f"/ws/posts/{post.pk}/?format=json"
    sockets = {
        "author": await open_socket(path, user=author),
        "moderator": await open_socket(path, user=moderator),
        "reader": await open_socket(path, user=reader),
        "anonymous": await open_socket(path),
    }
    for socket in sockets.values():
        assert (await next_event(socket))["type"] == "live.connected"

    comment = await create_comment(author, post, body="First time here")
    assert comment.status == comment.Status.HELD
    for name in ("author", "moderator"):
        event = await next_event(sockets[name])
        assert (event["type"], event["comment"]["id"]) == ("comment.held", comment.pk), name
    for name in ("reader", "anonymous"):
        # Only the event's number, so their stream has no gap and shows nothing held.
        [frame] = await frames_within(sockets[name], 0.5)
        assert json.loads(frame) == {"type": "live.skip", "seq": 1}, name

    await sync_to_async(services.approve_comment)(actor=moderator, comment=comment)
    for name, socket in sockets.items():
        event = await next_event(socket)
        assert (event["type"], event["comment"]["id"]) == ("comment.created", comment.pk), name
        assert event["comment"]["status"] == "published"
    for socket in sockets.values():
        await socket.disconnect()


async def flow_edit_and_delete_reach_readers(post: Any, commenter: User) -> None:
    from apps.comments import services

    comment = await create_comment(commenter, post, body="Original")
    browser = await open_socket(f"/ws/posts/{post.pk}/")
    app = await open_socket(f"/ws/posts/{post.pk}/?format=json")
    await next_frame(browser)
    await next_event(app)

    await sync_to_async(services.edit_comment)(actor=commenter, comment=comment, body="Edited")
    event = await next_event(app)
    assert event["type"] == "comment.updated"
    assert "Edited" in event["comment"]["body_html"]
    assert event["comment"]["edited_at"] is not None
    html = await next_frame(browser)
    assert f'<article id="comment-{comment.pk}"' in html
    assert 'hx-swap-oob="true"' in html

    await sync_to_async(services.delete_comment)(
        actor=commenter, comment=comment, second_factor=True
    )
    event = await next_event(app)
    assert event["type"] == "comment.deleted"
    assert event["comment"]["deleted"] is True
    assert event["comment"]["body_html"] == ""
    assert "Comment removed" in await next_frame(browser)
    await browser.disconnect()
    await app.disconnect()


def hold_every_comment() -> None:
    from apps.comments.models import ModerationSettings

    ModerationSettings.objects.update_or_create(
        pk=1, defaults={"hold": ModerationSettings.Hold.ALL}
    )


async def flow_replay_after_reconnect(post: Any, commenter: User, other: User) -> None:
    seen = await create_comment(commenter, post, body="Seen before the drop")
    missed = [await create_comment(commenter, post, body=f"Missed {n}") for n in range(3)]
    # Held for moderation: replayed to its author only.
    await sync_to_async(hold_every_comment)()
    held = await create_comment(other, post, body="Held while you were away")
    assert held.status == held.Status.HELD

    anonymous = await open_socket(f"/ws/posts/{post.pk}/?format=json&after={seen.pk}")
    assert (await next_event(anonymous))["type"] == "live.connected"
    replayed = [await next_event(anonymous) for _ in missed]
    assert [e["comment"]["id"] for e in replayed] == [c.pk for c in missed]
    assert {e["type"] for e in replayed} == {"comment.created"}
    assert await frames_within(anonymous, 0.3) == []

    author = await open_socket(
        f"/ws/posts/{post.pk}/?format=json&after={missed[-1].pk}", user=other
    )
    await next_event(author)
    event = await next_event(author)
    assert (event["type"], event["comment"]["id"]) == ("comment.held", held.pk)

    browser = await open_socket(f"/ws/posts/{post.pk}/?after={seen.pk}")
    await next_frame(browser)
    assert f'id="comment-{missed[0].pk}"' in await next_frame(browser)
    for socket in (anonymous, author, browser):
        await socket.disconnect()


async def flow_presence_counts_open_sockets(post: Any) -> None:
    first = await open_socket(f"/ws/posts/{post.pk}/?format=json")
    await readers_seen(first, 1)
    second = await open_socket(f"/ws/posts/{post.pk}/")
    await readers_seen(first, 2)
    assert "2 reading now" in await next_frame(second, presence=True)
    await second.disconnect()
    await readers_seen(first, 1)
    await first.disconnect()


# --------------------------------------------------------------------------
# Dead channels: a client that vanishes while a broadcast is on its way
# --------------------------------------------------------------------------


class VanishingClient:
    """ASGI middleware for a client that goes away without a close frame.

    After `vanish()`, every send raises as uvicorn's does for a socket that is closing
    (ClientDisconnected, an OSError), which ends the consumer before any
    websocket.disconnect reaches it: only the consumer's own clean-up can leave the groups.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.gone = False

    def vanish(self) -> None:
        self.gone = True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_unless_gone(message: Any) -> None:
            if self.gone:
                raise OSError("client disconnected")
            await send(message)

        await self.app(scope, receive, send_unless_gone)


def _redis_group_size(layer: Any, group: str) -> int:
    import redis

    with redis.Redis.from_url(settings.REDIS_URL) as client:
        return int(client.zcard(layer._group_key(group)))


async def group_size(group: str) -> int:
    """Channels in a group, read from the layer's own storage (in-memory dict or Redis)."""
    from channels.layers import get_channel_layer
    from channels_redis.core import RedisChannelLayer

    layer = get_channel_layer()
    if isinstance(layer, RedisChannelLayer):
        return await sync_to_async(_redis_group_size)(layer, group)
    return len(layer.groups.get(group, {}))


async def flow_vanished_client_leaves_its_group(
    path: str, group: str, broadcast: Callable[[], Awaitable[Any]], *, user: User | None = None
) -> None:
    """Open a socket, let its client vanish, broadcast: the channel must leave `group`."""
    client = VanishingClient(application)
    socket = await open_socket(path, user=user, app=client)
    await socket.receive_from(timeout=5)  # the first frame: the consumer has joined
    assert await group_size(group) == 1
    client.vanish()
    await broadcast()
    # The relay raised and ended the consumer, as uvicorn's send to a closing socket does.
    with pytest.raises(OSError, match="client disconnected"):
        await socket.wait(timeout=5)
    await eventually(lambda: group_size(group), 0)


async def flow_post_socket_of_a_vanished_client_leaves(post: Any, commenter: User) -> None:
    from apps.comments import broadcasts, presence

    await flow_vanished_client_leaves_its_group(
        f"/ws/posts/{post.pk}/?format=json",
        broadcasts.post_group(post.pk),
        lambda: create_comment(commenter, post),
    )
    await eventually(lambda: presence.count(post.pk), 0)


# --------------------------------------------------------------------------
# Real server processes (manage.py serve) on the test database
# --------------------------------------------------------------------------


def server_env(**overrides: str) -> dict[str, str]:
    """The environment of a server subprocess that shares this test run's PostgreSQL test
    database, Redis and key prefix (so cachalot invalidations and channel groups match)."""
    from django.db import connection

    from tests.servers import clean_env

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    database_url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return clean_env(
        DATABASE_URL=database_url,
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=settings.CACHE_KEY_PREFIX,
        DJANGO_DEBUG="false",
        LOG_LEVEL="WARNING",
        **overrides,
    )


def ws_url(server_url: str, path: str) -> str:
    return server_url.replace("http://", "ws://", 1) + path


def page_origin(url: str) -> str:
    """The origin of the site's own pages for a server or socket URL (`http://host:port`)."""
    parts = urlsplit(url)
    return f"http://{parts.netloc}"
