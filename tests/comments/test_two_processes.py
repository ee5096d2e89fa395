"""Two server processes share Redis: a comment posted through one reaches sockets on the other.

And when one process cannot reach the channel layer's Redis, the comment it receives is
still saved; a client that reconnects with ?after= catches up.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from apps.comments.models import Comment
from tests.comments import live
from tests.servers import Server, free_port, running_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(params=["core", "pubsub"])
def two_servers(request, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    env = live.server_env(CHANNEL_LAYER_BACKEND=request.param)
    with (
        running_server(env, tmp_path / "a.log") as a,
        running_server(env, tmp_path / "b.log") as b,
    ):
        yield a, b


@contextlib.contextmanager
def _socket(server: Server, path: str) -> Iterator[ClientConnection]:
    with connect(
        live.ws_url(server.url, path),
        origin=Origin(live.page_origin(server.url)),
        proxy=None,
        open_timeout=10,
    ) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "live.connected"
        yield socket


def _next_comment_event(socket: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    while True:
        event: dict[str, Any] = json.loads(socket.recv(timeout=timeout))
        if event["type"] != "presence":
            return event


def _post_comment(server: Server, user, post, body: str) -> requests.Response:
    """What the browser's form does: a signed-in, CSRF-protected POST to comments:create."""
    csrf = secrets.token_hex(16)  # 32 characters: Django accepts the unmasked secret
    cookies = {
        settings.SESSION_COOKIE_NAME: live.session_cookie(user).decode().split("=", 1)[1],
        settings.CSRF_COOKIE_NAME: csrf,
    }
    return requests.post(
        f"{server.url}/comments/posts/{post.pk}/",
        data={"body": body},
        cookies=cookies,
        headers={"X-CSRFToken": csrf},
        allow_redirects=False,
        timeout=20,
    )


def test_a_comment_posted_on_one_process_reaches_sockets_on_the_other(
    two_servers, published_post, commenter, no_hold
):
    a, b = two_servers
    path = f"/ws/posts/{published_post.pk}/?format=json"
    with _socket(b, path) as on_b, _socket(a, path) as on_a:
        response = _post_comment(a, commenter, published_post, "Hello from process A")
        assert response.status_code == 302, response.text[:500]
        comment = Comment.objects.get(post=published_post)

        for socket in (on_b, on_a):
            event = _next_comment_event(socket)
            assert (event["type"], event["comment"]["id"]) == ("comment.created", comment.pk)


def test_a_process_without_its_channel_layer_loses_no_comment(
    two_servers, published_post, commenter, no_hold, tmp_path: Path
):
    _a, b = two_servers
    path = f"/ws/posts/{published_post.pk}/?format=json"
    with _socket(b, path) as reader:
        first = _post_comment(b, commenter, published_post, "Before the outage")
        assert first.status_code == 302
        seen = _next_comment_event(reader)["comment"]["id"]

        # A third process whose channel layer points at a Redis that is not there (the
        # cache and the database are fine): its broadcasts fail; its requests must not.
        broken_env = live.server_env(CHANNEL_LAYER_URL=f"redis://127.0.0.1:{free_port()}/0")
        with running_server(broken_env, tmp_path / "broken.log") as broken:
            response = _post_comment(broken, commenter, published_post, "During the outage")
        assert response.status_code == 302, response.text[:500]
        missed = Comment.objects.get(post=published_post, body="During the outage")
        with pytest.raises(TimeoutError):
            _next_comment_event(reader, timeout=1)

    # The page reconnects with the largest id it saw and gets what it missed.
    with _socket(b, f"{path}&after={seen}") as again:
        event = _next_comment_event(again)
        assert (event["type"], event["comment"]["id"]) == ("comment.created", missed.pk)
