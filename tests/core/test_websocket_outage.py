"""Live sockets when the channel layer's Redis goes away: a close code, one log line each.

The server (manage.py serve) runs on this run's PostgreSQL test database and shared Redis,
except for its channel layer, which is a redis-server this module starts on a free port
and stops in the middle of the test (never the shared one).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from apps.accounts.tokens import issue_token_pair
from tests.comments import live
from tests.core.test_websocket_server import Log, _close_code, _next, _socket
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.servers import Server, free_port, running_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


class OwnRedis:
    """A throwaway redis-server on a free port: start, stop, start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        options = {"port": str(self.port), "bind": "127.0.0.1", "save": "", "appendonly": "no"}
        command = ["redis-server", "--dir", str(self.workdir)]
        for name, value in options.items():
            command += [f"--{name}", value]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            with (
                contextlib.suppress(redis.ConnectionError),
                redis.Redis.from_url(self.url) as client,
            ):
                if client.ping():
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="module")
def layer_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnRedis]:
    own = OwnRedis(tmp_path_factory.mktemp("redis"))
    own.start()
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture(scope="module")
def server(
    django_db_setup: Any, layer_redis: OwnRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    env = {**live.server_env(), "CHANNEL_LAYER_URL": layer_redis.url, "LOG_FORMAT": "json"}
    with running_server(env, tmp_path_factory.mktemp("ws") / "server.log") as server:
        yield server


@pytest.fixture
def redis_up(layer_redis: OwnRedis) -> Iterator[OwnRedis]:
    """The channel layer's Redis, running when the test starts and when it ends."""
    if layer_redis.process is None:
        layer_redis.start()
    yield layer_redis
    if layer_redis.process is None:
        layer_redis.start()


@pytest.fixture
def paths(db) -> list[tuple[str, dict[str, Any]]]:
    """Both live routes, opened by a signed-in app (a token, so no session cache)."""
    post = PostFactory.create(comments_open=True)
    token = issue_token_pair(user=UserFactory.create()).access
    bearer = {"additional_headers": {"Authorization": f"Bearer {token}"}}
    return [
        (f"/ws/posts/{post.pk}/?format=json", bearer),
        ("/ws/notifications/?format=json", bearer),
    ]


def _outage_lines(log: Log) -> list[dict[str, Any]]:
    return [e for e in log.events() if e["event"] == "live.redis_unavailable"]


def test_open_sockets_close_1013_with_one_line_each_when_the_layer_goes(server, redis_up, paths):
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(_socket(server, path, **kw)) for path, kw in paths]
        for socket in sockets:
            _next(socket)  # joined its groups
        log = Log(server)
        redis_up.stop()
        assert [_close_code(socket) for socket in sockets] == [1013, 1013]
    log.assert_no_traceback()
    assert sorted(e["path"] for e in _outage_lines(log)) == sorted(
        path.partition("?")[0] for path, _ in paths
    )


def test_sockets_opened_during_the_outage_close_1013_and_recover_after(server, redis_up, paths):
    redis_up.stop()
    log = Log(server)
    for path, kwargs in paths:
        with _socket(server, path, **kwargs) as socket:
            assert _close_code(socket) == 1013
    log.assert_no_traceback()
    assert len(_outage_lines(log)) == len(paths)

    redis_up.start()  # the server was never restarted
    for path, kwargs in paths:
        with _socket(server, path, **kwargs) as socket:
            assert _next(socket)["type"] in {"live.connected", "notification.unread"}
