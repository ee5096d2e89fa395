"""A production server whose PostgreSQL and Redis are unreachable degrades cleanly."""

import json
import urllib.error
import urllib.request
from email.message import Message

import pytest

from tests.servers import clean_env, free_port, manage, running_server

pytestmark = pytest.mark.slow


def _get(url: str) -> tuple[int, str, Message]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


def test_unreachable_database_and_redis_give_503s_and_one_clear_log_line(tmp_path):
    env = clean_env(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="outage-test-" + "Zq8vN2pL5xR7tW1yB4cE6gJ9kM3sU0aD" * 2,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/inkwell",
        DATABASE_POOL_TIMEOUT="1",
        DATABASE_CONNECT_TIMEOUT="1",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    manage("collectstatic", "--noinput", "-v0", env=env)
    with running_server(env, tmp_path / "server.log") as server:
        status, body, _ = _get(server.url + "/healthz")
        assert status == 200

        status, body, _ = _get(server.url + "/readyz")
        assert status == 503
        assert json.loads(body)["failing"] == ["database", "cache", "channel_layer"]

        status, body, headers = _get(server.url + "/")
        assert status == 503
        assert "We’ll be right back" in body
        assert headers.get("Retry-After") == "30"

        # A German page's outage answer is German, though the language was never chosen.
        status, body, headers = _get(server.url + "/de/")
        assert status == 503
        assert "Wir sind gleich wieder da" in body
        assert headers.get("Content-Language") == "de"

        log = server.log()
    assert '"event": "backing service unavailable"' in log
    assert '"part": "database"' in log
    assert '"event": "readiness check failed"' in log
    assert "Traceback" not in log
