"""No token that rides in a URL reaches a log line (apps.core.logging)."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from apps.core.logging import RedactingFormatter, RedactSecretsFilter, redact
from tests.servers import MANAGE, ROOT, Server, clean_env, free_port, wait_until_up

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiIsInR5cCI6ImFjY2VzcyJ9.c2lnbmF0dXJlLXNlY3JldA"


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        (
            f'127.0.0.1:5 - "WebSocket /ws/posts/1/?format=json&access_token={TOKEN}" [accepted]',
            '127.0.0.1:5 - "WebSocket /ws/posts/1/?format=json&access_token=[redacted]" [accepted]',
        ),
        ("/ws/notifications/?token=abc&after=5", "/ws/notifications/?token=[redacted]&after=5"),
        ("GET /cb/?code=4/0Ab&state=xyz HTTP/1.1", "GET /cb/?code=[redacted]&state=xyz HTTP/1.1"),
        (
            "?refresh_token=r&client_secret=s&password=p&api_key=k&X-Amz-Signature=s1",
            "?refresh_token=[redacted]&client_secret=[redacted]&password=[redacted]"
            "&api_key=[redacted]&X-Amz-Signature=[redacted]",
        ),
        ('{"path": "/ws/?access_token=abc\\""}', '{"path": "/ws/?access_token=[redacted]\\""}'),
        (
            "(b'cookie', b'sessionid=s1; csrftoken=c1; theme=dark')",
            "(b'cookie', b'sessionid=[redacted]; csrftoken=[redacted]; theme=dark')",
        ),
        (f"(b'authorization', b'Bearer {TOKEN}')", "(b'authorization', b'Bearer [redacted]')"),
        (f"token = '{TOKEN}'", "token = '[redacted]'"),
    ],
)
def test_redact_hides_secrets_in_urls_headers_and_tokens(logged, expected):
    assert redact(logged) == expected


def test_redact_keeps_ordinary_parameters():
    logged = "/search/?q=tokens&page=2&author=ada&after=17&cursor=abc&format=json&zipcode=1"
    assert redact(logged) == logged


def test_filter_redacts_a_servers_formatted_record():
    # uvicorn's WebSocket line: the URL is an argument, not in the format string.
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5", f"/ws/?access_token={TOKEN}"),
        None,
    )
    assert RedactSecretsFilter().filter(record)
    assert (
        record.getMessage() == '127.0.0.1:5 - "WebSocket /ws/?access_token=[redacted]" [accepted]'
    )


def test_our_handler_redacts_tracebacks_too():
    # The console handler apps.core.logging set up (pytest adds its own beside it).
    [handler] = [
        h for h in logging.getLogger().handlers if isinstance(h.formatter, RedactingFormatter)
    ]
    try:
        raise ValueError(f"could not route /ws/?access_token={TOKEN}")
    except ValueError:
        record = logging.LogRecord(
            "inkwell.test", logging.ERROR, __file__, 1, "boom", None, sys.exc_info()
        )
    rendered = handler.format(record)
    assert "access_token=[redacted]" in rendered
    assert TOKEN not in rendered


def _env(tmp_path: Path) -> dict[str, str]:
    # INFO: uvicorn logs each WebSocket handshake at INFO. Nothing here reads the database.
    return clean_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        DJANGO_DEBUG="false",
        LOG_LEVEL="INFO",
        LOG_FORMAT="json",
    )


@contextlib.contextmanager
def _serving(command: list[str], env: dict[str, str], log_path: Path) -> Iterator[Server]:
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    port = command[command.index("--port") + 1]
    server = Server(url=f"http://127.0.0.1:{port}", log_path=log_path, process=process)
    try:
        wait_until_up(server, "/healthz")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_uvicorn_logs_websocket_handshakes_without_their_tokens(tmp_path):
    command = [*MANAGE, "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    with _serving(command, _env(tmp_path), tmp_path / "uvicorn.log") as server:
        base = server.url.replace("http://", "ws://", 1)
        for path in [
            f"/ws/notifications/?format=json&access_token={TOKEN}",  # a bad token: 4401
            f"/ws/no-such-route/?token={TOKEN}&access_token=second-secret",
        ]:
            with (
                connect(base + path, proxy=None, open_timeout=10) as socket,
                contextlib.suppress(ConnectionClosed),
            ):
                socket.recv(timeout=10)
        # The same handshake through the router's refusal: a 403 is logged with its URL too.
        refused = f"{base}/ws/posts/1/?access_token={TOKEN}"
        with pytest.raises(InvalidStatus), connect(refused, origin=Origin("https://evil.example")):
            pass
    log = server.log()
    # JSON lines: the quotes around the request are escaped.
    assert r"WebSocket /ws/notifications/?format=json&access_token=[redacted]\" [accepted]" in log
    assert "/ws/no-such-route/?token=[redacted]&access_token=[redacted]" in log
    assert r"WebSocket /ws/posts/1/?access_token=[redacted]\" 403" in log
    assert TOKEN not in log
    assert "second-secret" not in log


@pytest.mark.slow
def test_granian_access_log_leaves_tokens_out(tmp_path):
    # An operator who turns granian's access log on and asks for the query string.
    granian = str(Path(sys.executable).parent / "granian")
    command = [
        granian,
        "--interface=wsgi",
        "--host=127.0.0.1",
        "--port",
        str(free_port()),
        "--access-log",
        "--access-log-fmt=%(method)s %(path)s?%(query_string)s %(status)d",
        "project.wsgi:application",
    ]
    with _serving(command, _env(tmp_path), tmp_path / "granian.log") as server:
        response = requests.get(
            f"{server.url}/healthz?access_token={TOKEN}&refresh_token=r1&page=2", timeout=10
        )
        assert response.status_code == 200
        # granian writes the line after the response has gone out.
        deadline = time.monotonic() + 10
        while "access_token" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.05)
    log = server.log()
    assert "GET /healthz?access_token=[redacted]&refresh_token=[redacted]&page=2 200" in log
    assert TOKEN not in log
