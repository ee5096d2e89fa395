"""Inkwell behind a real pgbouncer in transaction mode (DATABASE_POOLER=pgbouncer).

In transaction mode each transaction may run on another server connection, so nothing may
outlive one: no server-side prepared statements, no named cursors. The fixture starts the
Debian package's pgbouncer on a free port in front of the machine's PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message

import pytest
from django.conf import settings as django_settings
from django.db import connections

from tests.conftest import ON_POSTGRES
from tests.factories.blog import PostFactory
from tests.servers import ROOT, PgBouncer, clean_env, running_wsgi_server

SETTINGS_PROBE = (
    "import json, django; django.setup(); from django.conf import settings; "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'options': {k: v for k, v in db['OPTIONS'].items() if k != 'pool'}, "
    "'pool': 'pool' in db['OPTIONS'], 'cursors': db.get('DISABLE_SERVER_SIDE_CURSORS', False), "
    "'max_age': db['CONN_MAX_AGE'], 'health': db['CONN_HEALTH_CHECKS']}))"
)


def _probe(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="project.settings", **env),
        capture_output=True,
        text=True,
        check=False,
    )


def test_pgbouncer_settings_disable_prepared_statements_and_named_cursors():
    result = _probe(
        DATABASE_URL="postgres://app@pgbouncer:6432/inkwell", DATABASE_POOLER="pgbouncer"
    )
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)
    assert "prepare_threshold" in db["options"]
    assert db["options"]["prepare_threshold"] is None
    assert db["cursors"] is True
    assert db["pool"] is False  # pgbouncer is the pool
    assert db["max_age"] > 0
    assert db["health"] is True  # a restarted pgbouncer costs one reconnect, not an error


def test_direct_connection_keeps_psycopg_defaults():
    result = _probe(DATABASE_URL="postgres://app@db:5432/inkwell")
    assert result.returncode == 0, result.stderr
    db = json.loads(result.stdout)
    assert "prepare_threshold" not in db["options"]
    assert db["cursors"] is False
    assert db["pool"] is True


def test_unknown_pooler_is_rejected_with_a_clear_message():
    result = _probe(DATABASE_URL="postgres://app@db:5432/inkwell", DATABASE_POOLER="pgpool")
    assert result.returncode != 0
    assert "DATABASE_POOLER='pgpool'" in result.stderr
    assert "pgbouncer" in result.stderr


@pytest.fixture
def pgbouncer() -> Iterator[PgBouncer]:
    if not ON_POSTGRES:
        pytest.skip("pgbouncer pools PostgreSQL connections (DATABASE_URL=postgres://…)")
    if reason := PgBouncer.available():
        pytest.skip(reason)
    bouncer = PgBouncer()
    bouncer.start()
    try:
        yield bouncer
    finally:
        bouncer.destroy()


@pytest.mark.postgres
@pytest.mark.slow
def test_blog_and_comments_suites_pass_through_pgbouncer(pgbouncer, tmp_path):
    """A slice of the suite through pgbouncer: reader pages, search, editing and workflow,
    comment writes, moderation and paging. (All of tests/blog and
    tests/comments passed through it too, in 8.5 minutes on a loaded 2-core machine: too
    long for every run.)"""
    name = django_settings.DATABASES["default"]["NAME"].removeprefix("test_")
    env = clean_env(
        DATABASE_URL=pgbouncer.url(name),
        DATABASE_POOLER="pgbouncer",
        REDIS_URL=django_settings.REDIS_URL,
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-q",
            "-m",
            "not e2e and not slow",
            "-x",
            *SLICE,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in summary
    assert "failed" not in summary


SLICE = [
    "tests/blog/test_reader_pages.py",
    "tests/blog/test_views.py",
    "tests/blog/test_editing.py",
    "tests/blog/test_search.py",
    "tests/blog/test_posts.py",
    "tests/blog/test_workflow.py",
    "tests/comments/test_services_create.py",
    "tests/comments/test_views_create.py",
    "tests/comments/test_moderation.py",
    "tests/comments/test_selectors_paging.py",
    "tests/comments/test_threads_budget.py",
]


def _get(url: str) -> tuple[int, Message, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            response.read()
            return response.status, response.headers, time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.headers, time.monotonic() - started


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pgbouncer_restart_gives_a_503_then_recovers(pgbouncer, settings, tmp_path):
    post = PostFactory.create()
    name = connections["default"].settings_dict["NAME"]
    env = clean_env(
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_DEBUG="false",
        DATABASE_URL=pgbouncer.url(name),
        DATABASE_POOLER="pgbouncer",
        DATABASE_CONNECT_TIMEOUT="2",
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=settings.CACHE_KEY_PREFIX,
        PAGE_CACHE_ENABLED="false",  # every request reads the database
        CACHALOT_ENABLED="false",
    )
    page = f"/posts/{post.slug}/"
    with running_wsgi_server(env, tmp_path / "granian.log", threads=2) as server:
        status, _, _ = _get(server.url + page)
        assert status == 200

        pgbouncer.stop()
        status, headers, seconds = _get(server.url + page)
        assert status == 503
        assert headers["Retry-After"] == "30"
        assert seconds < 5  # refused at once, not a hang
        assert "backing service unavailable" in server.log()

        pgbouncer.start()  # same port, as after a restart
        status, _, _ = _get(server.url + page)
        assert status == 200  # the stale connection failed its health check: reconnected
