"""Webhook fixtures: a real local HTTP receiver, settings that let it be reached, endpoints.

The receiver is `http.server` in a thread. Each path answers one way: `/ok` 200, `/fail`
500, `/hang` waits past the read timeout, `/redirect` 302 to `/ok`, `/close` drops the
connection without an answer, `/drip` sends its headers a byte at a time, forever. Every
request it gets is kept (path, headers, body).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.accounts.roles import Role
from apps.webhooks.models import Endpoint
from apps.webhooks.signing import generate_secret
from tests.dashboard.conftest import login_as, make_user, verified_login

__all__ = ["login_as", "make_user", "verified_login"]

HANG_SECONDS = 2.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    base: str
    requests: list[Received] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            path = self.path.split("?")[0]
            if path == "/hang":
                time.sleep(HANG_SECONDS)
                self._answer(200, b"too late")
            elif path == "/redirect":
                self.send_response(302)
                self.send_header("Location", receiver.url("/ok"))
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/close":
                self.close_connection = True  # no answer at all: the socket just closes
            elif path == "/drip":
                # Headers a byte at a time, each well within the read timeout, forever.
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                self.wfile.flush()
                with contextlib.suppress(OSError):
                    for _ in range(int(HANG_SECONDS * 2 / 0.1)):
                        time.sleep(0.1)
                        self.wfile.write(b"z")
                        self.wfile.flush()
                self.close_connection = True
            elif path == "/fail":
                self._answer(500, b"Internal trouble: " + b"x" * 5000)
            else:
                self._answer(200, b"thanks")

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (the hang case)
                self.wfile.write(body)

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(base="")))
    receiver = Receiver(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    """The local receiver is on loopback over http: both allowed here, and quick timeouts."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_CONNECT_TIMEOUT = 1.0
    settings.WEBHOOKS_READ_TIMEOUT = 0.5
    settings.WEBHOOKS_RETRY_SCHEDULE = [5, 300, 1800]
    settings.WEBHOOKS_RETRY_JITTER = 0.0
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 5


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def make_endpoint(db, admin):
    def make(url: str, events: list[str] | None = None, **fields) -> Endpoint:
        return Endpoint.objects.create(
            url=url,
            events=events or ["all"],
            secret=generate_secret(),
            created_by=admin,
            **fields,
        )

    return make
