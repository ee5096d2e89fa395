"""Hostile sockets against the real ASGI server (manage.py serve, uvicorn), read in its log.

One server for the module, on this run's PostgreSQL test database, logging JSON lines at
INFO (the production format), so uvicorn's own lines about each handshake are there too.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from apps.accounts.tokens import issue_token_pair
from tests.comments import live
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.servers import Server, running_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module")
def server(django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {**live.server_env(), "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}
    with running_server(env, tmp_path_factory.mktemp("ws") / "server.log") as server:
        yield server


class Log:
    """The server's log lines written since this object was made."""

    def __init__(self, server: Server) -> None:
        self.path: Path = server.log_path
        self.start = len(server.log())

    @property
    def text(self) -> str:
        return self.path.read_text()[self.start :]

    def events(self) -> list[dict[str, Any]]:
        lines = [line for line in self.text.splitlines() if line.startswith("{")]
        return [json.loads(line) for line in lines]

    def settle(self, quiet: float = 0.5, timeout: float = 10) -> None:
        """Wait until nothing has been written for `quiet` seconds: the server is done."""
        deadline = time.monotonic() + timeout
        size = self.path.stat().st_size
        while time.monotonic() < deadline:
            time.sleep(quiet)
            if (now := self.path.stat().st_size) == size:
                return
            size = now

    def assert_no_traceback(self) -> None:
        self.settle()
        for event in self.events():
            assert "exception" not in event, event
        assert "Traceback" not in self.text


@contextlib.contextmanager
def _socket(server: Server, path: str, **kwargs: Any) -> Iterator[ClientConnection]:
    kwargs.setdefault("origin", Origin(live.page_origin(server.url)))
    with connect(live.ws_url(server.url, path), proxy=None, open_timeout=10, **kwargs) as socket:
        yield socket


def _next(socket: ClientConnection) -> dict[str, Any]:
    """The next JSON frame, reader counts left out."""
    while True:
        event: dict[str, Any] = json.loads(socket.recv(timeout=10))
        if event.get("type") != "presence":
            return event


def _close_code(socket: ClientConnection) -> int | None:
    """Read until the server closes the socket; its close code."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            socket.recv(timeout=10)
    return socket.close_code


@pytest.fixture
def routes(db) -> dict[str, tuple[str, dict[str, Any]]]:
    """Both live routes, each opened the way the mobile app opens it."""
    post = PostFactory.create(comments_open=True)
    token = issue_token_pair(user=UserFactory.create()).access
    bearer = {"additional_headers": {"Authorization": f"Bearer {token}"}}
    return {
        "comments": (f"/ws/posts/{post.pk}/?format=json", bearer),
        "notifications": ("/ws/notifications/?format=json", bearer),
    }


def test_unknown_socket_route_closes_4404_and_logs_no_traceback(server):
    log = Log(server)
    for path in ["/ws/nope/", "/ws/posts/abc/", "/"]:
        with _socket(server, path) as socket:
            assert _close_code(socket) == 4404
    log.assert_no_traceback()


PATHOLOGICAL_TEXT = [
    "[" * 1000 + "]" * 1000,  # json.loads raises RecursionError, not ValueError
    '{"a":' * 1000 + "1" + "}" * 1000,
    "[" * 30_000,
    "1e999999",
    '{"type": 1e999999}',
    '{"type": NaN}',
    '{"type": ["ping"]}',
    '{"type": {"type": "ping"}}',
    '{"type": null}',
    '{"type": 1' + "0" * 5000 + "}",  # past int's 4,300-digit limit
    "{}",
    "[]",
    '"ping"',
    "null",
    "",
    "\x00",
    '{"type": "ping"',
]


@pytest.mark.parametrize("route", ["comments", "notifications"])
def test_pathological_frames_answer_malformed_and_the_socket_stays_open(server, routes, route):
    path, kwargs = routes[route]
    log = Log(server)
    with _socket(server, path, **kwargs) as socket:
        _next(socket)  # connected, or the unread count
        frames: list[str | bytes] = [*PATHOLOGICAL_TEXT, b"\x00\xff", b'{"type": "ping"}']
        for frame in frames:
            socket.send(frame)
            reply = _next(socket)
            assert (reply["type"], reply["code"]) == ("error", "malformed"), frame[:40]
        socket.send('{"type": "ping"}')
        assert _next(socket) == {"type": "pong"}
    log.assert_no_traceback()


@pytest.mark.parametrize("route", ["comments", "notifications"])
def test_frames_the_protocol_forbids_close_the_socket_cleanly(server, routes, route):
    path, kwargs = routes[route]
    log = Log(server)
    with _socket(server, path, **kwargs) as socket:
        _next(socket)
        with socket.send_context():  # a text frame that is not UTF-8
            socket.protocol.send_text(b"\xff\xfe{}")
        assert _close_code(socket) == 1007  # invalid frame payload data
    [line] = [e for e in log.events() if e["event"].startswith("Invalid UTF-8")]
    assert line["level"] == "warning"
    with _socket(server, path, max_size=None, **kwargs) as socket:
        _next(socket)
        socket.send('{"type": "ping", "pad": "' + "x" * 70_000 + '"}')
        assert _close_code(socket) == 1009  # message too big: over 64 KiB
    with _socket(server, path, **kwargs) as socket:  # the server is fine
        _next(socket)
        socket.send('{"type": "ping"}')
        assert _next(socket) == {"type": "pong"}
    log.assert_no_traceback()


def _frames_right_after_handshake(server: Server, path: str, frames: list[str]) -> bytes:
    """Open a socket and send `frames` the moment it is accepted; what the server sent.

    The consumer accepts first, then looks things up (a thread hop, a database round trip)
    and may close: frames sent at once arrive in between, the race a fast client wins.
    """
    url = urlsplit(server.url)
    key = base64.b64encode(os.urandom(16)).decode()
    handshake = (
        f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {live.page_origin(server.url)}\r\n\r\n"
    )
    data = b""
    for frame in frames:  # masked text frames, as a client must send them
        payload, mask = frame.encode(), os.urandom(4)
        assert len(payload) < 126
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        data += bytes([0x81, 0x80 | len(payload)]) + mask + masked
    received = b""
    with socket.create_connection((url.hostname, url.port or 80), timeout=10) as client:
        client.sendall(handshake.encode())
        while b"\r\n\r\n" not in received:
            received += client.recv(65536)
        client.sendall(data)
        while b"\x88" not in received.partition(b"\r\n\r\n")[2]:  # until the close frame
            chunk = client.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


@pytest.mark.parametrize(
    ("path", "code"),
    [("/ws/posts/999999/?format=json", 4404), ("/ws/notifications/?format=json", 4401)],
)
def test_frames_crossing_the_servers_close_leave_no_traceback(server, path, code):
    log = Log(server)
    received = _frames_right_after_handshake(server, path, ['{"type": "ping"}'] * 3)
    assert received.startswith(b"HTTP/1.1 101")
    assert b"\x88\x02" + code.to_bytes(2, "big") in received  # the close frame and its code
    assert b"pong" not in received
    log.assert_no_traceback()
