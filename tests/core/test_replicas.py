"""Read replicas against a real streaming standby of the machine's PostgreSQL.

The module's fixture takes a `pg_basebackup` of 127.0.0.1:5432 into a temporary directory and
starts it as a hot standby on a free port (tests/servers.PostgresReplica), after the test
database exists, so the standby holds it and replays every commit the tests make. Tests
commit for real (`transaction=True`); pausing the standby's replay (`pg_wal_replay_pause`)
makes it visibly behind, which shows where each read went.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.blog.models import Post
from apps.core import db_router
from tests.conftest import ON_POSTGRES
from tests.factories.blog import PostFactory
from tests.factories.newsletter import NewsletterFactory
from tests.servers import PostgresReplica, free_port

ALIAS = "replica_1"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not ON_POSTGRES, reason="read replicas are PostgreSQL standbys (DATABASE_URL=postgres://…)"
    ),
]


@pytest.fixture(scope="module")
def standby(django_db_setup, django_db_blocker) -> Iterator[PostgresReplica]:
    if not ON_POSTGRES:
        pytest.skip("read replicas are PostgreSQL standbys (DATABASE_URL=postgres://…)")
    if reason := PostgresReplica.available():
        pytest.skip(reason)
    replica = PostgresReplica()
    try:
        replica.create()
    except subprocess.CalledProcessError as exc:
        replica.destroy()
        pytest.fail(
            f"could not start a standby ({exc.stderr.strip()}); the primary needs "
            "'host replication all 127.0.0.1/32 trust' in pg_hba.conf (.ci/run adds it)"
        )
    yield replica
    replica.destroy()


def _db_name() -> str:
    return str(connections["default"].settings_dict["NAME"])


def _point_alias(entry: dict[str, Any]) -> None:
    """Make `replica_1` connect to `entry` from now on."""
    if ALIAS in connections.settings:
        connections[ALIAS].close()
        del connections[ALIAS]
    configured = connections.configure_settings(
        {"default": connections.settings["default"], ALIAS: entry}
    )
    connections.settings[ALIAS] = configured[ALIAS]
    db_router.forget_health()


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(standby) -> Iterator[None]:
    """`replica_1` exists before each test's database access is set up (it names it)."""
    _point_alias(standby.settings_for(_db_name()))
    yield
    connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]
    db_router.forget_health()


@pytest.fixture
def routed(settings, standby) -> Iterator[PostgresReplica]:
    """The standby as `replica_1`, checked on every read (no trust in an old check)."""
    settings.DATABASE_REPLICAS = [ALIAS]
    settings.REPLICA_CHECK_INTERVAL = 0
    settings.REPLICA_MAX_LAG_SECONDS = 30
    _point_alias(standby.settings_for(_db_name()))
    try:
        yield standby
    finally:
        _point_alias(standby.settings_for(_db_name()))
        if standby.started:
            _resume(standby)


def _use_replica(settings, entry: dict[str, Any]) -> None:
    settings.DATABASE_REPLICAS = [ALIAS]
    _point_alias(entry)


def _standby_sql(standby: PostgresReplica, sql: str) -> None:
    with psycopg.connect(
        host="127.0.0.1", port=standby.port, user="postgres", dbname=_db_name(), autocommit=True
    ) as conn:
        conn.execute(sql)


def _pause(standby: PostgresReplica) -> None:
    _standby_sql(standby, "SELECT pg_wal_replay_pause()")


def _resume(standby: PostgresReplica) -> None:
    _standby_sql(standby, "SELECT pg_wal_replay_resume()")


def _replicated(standby: PostgresReplica, post: Post) -> None:
    standby.wait_for(
        _db_name(), "SELECT EXISTS (SELECT 1 FROM blog_post WHERE id = %s)", (post.pk,)
    )


def _get(client, url: str) -> tuple[int, str, int]:
    """Status, body, and how many queries the replica answered."""
    with CaptureQueriesContext(connections[ALIAS]) as on_replica:
        response = client.get(url)
    return response.status_code, response.content.decode(), len(on_replica.captured_queries)


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", ALIAS])
def test_replica_serves_anonymous_pages_and_api_lists(routed, client):
    old = PostFactory.create(title="Replicated before the pause")
    _replicated(routed, old)
    _pause(routed)
    new = PostFactory.create(title="Written while replay is paused")

    status, body, replica_queries = _get(client, reverse("blog:home"))
    assert status == 200
    assert replica_queries > 0
    assert old.title in body
    assert new.title not in body  # read from the standby, which has not replayed it

    status, body, replica_queries = _get(client, "/api/v1/posts")
    assert status == 200
    assert replica_queries > 0
    assert old.slug in body
    assert new.slug not in body

    _resume(routed)
    _replicated(routed, new)
    status, body, _ = _get(client, reverse("blog:home"))
    assert new.title in body


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", ALIAS])
def test_replica_never_serves_signed_in_readers(routed, client, user):
    _pause(routed)
    post = PostFactory.create(title="Fresh for the signed-in reader")
    client.force_login(user)
    status, body, replica_queries = _get(client, reverse("blog:home"))
    assert status == 200
    assert replica_queries == 0
    assert post.title in body


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", ALIAS])
def test_replica_skipped_after_a_write_read_your_writes(routed, client, settings):
    _pause(routed)
    post = PostFactory.create(title="Visible to whoever just wrote")
    weekly = NewsletterFactory.create()
    response = client.post(
        reverse("newsletter:subscribe"),
        {"email": "reader@example.com", "newsletters": [weekly.pk], "source": "page"},
    )
    assert response.status_code in {200, 302}
    sticky = response.cookies[settings.REPLICA_STICKY_COOKIE]
    assert int(sticky["max-age"]) == settings.REPLICA_STICKY_SECONDS
    assert sticky["httponly"]

    status, body, replica_queries = _get(client, reverse("blog:home"))
    assert status == 200
    assert replica_queries == 0
    assert post.title in body

    client.cookies.pop(settings.REPLICA_STICKY_COOKIE)  # the window is over
    status, body, replica_queries = _get(client, reverse("blog:home"))
    assert replica_queries > 0
    assert post.title not in body


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", ALIAS])
def test_replica_lagging_beyond_the_limit_is_skipped(routed, client, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    _pause(routed)
    post = PostFactory.create(title="Written while the standby lags")
    time.sleep(1.2)  # replay stays paused: the lag grows past the limit
    status, body, replica_queries = _get(client, reverse("blog:home"))
    assert status == 200
    assert replica_queries == 1  # the lag check, nothing else
    assert post.title in body


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", ALIAS])
def test_replica_stopped_mid_test_primary_serves(routed, client, settings):
    post = PostFactory.create(title="Served whatever happens to the standby")
    _replicated(routed, post)
    status, body, replica_queries = _get(client, reverse("blog:home"))
    assert (status, replica_queries > 0) == (200, True)

    # Trusted for a minute: the next request picks the standby without asking, and its
    # queries fail mid-request; the request runs again on the primary.
    settings.REPLICA_CHECK_INTERVAL = 60
    db_router.forget_health()
    assert db_router.replica_usable(ALIAS)
    routed.stop()
    status, body, _ = _get(client, reverse("blog:home"))
    assert status == 200
    assert post.title in body
    assert not db_router.replica_usable(ALIAS)  # remembered as down: no retry per request

    checked_at = db_router._health[ALIAS].checked_at
    for _ in range(3):
        assert client.get(reverse("blog:post_detail", args=[post.slug])).status_code == 200
    # Skipped on what the process remembers: no connect attempt per request.
    assert db_router._health[ALIAS].checked_at == checked_at

    routed.start()
    db_router.forget_health()
    _replicated(routed, post)
    status, body, replica_queries = _get(client, reverse("blog:home"))
    assert (status, replica_queries > 0) == (200, True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", ALIAS])
def test_replica_unreachable_url_falls_back_to_primary(settings, client):
    settings.REPLICA_CHECK_INTERVAL = 60
    entry = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _db_name(),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),  # nothing listens there
        "USER": "postgres",
        "OPTIONS": {"connect_timeout": 2},
        "TEST": {"MIRROR": "default"},
    }
    _use_replica(settings, entry)
    post = PostFactory.create(title="Served by the primary")
    response = client.get(reverse("blog:home"))
    assert response.status_code == 200
    assert post.title in response.content.decode()
    assert not db_router.replica_usable(ALIAS)


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", ALIAS])
def test_replica_that_is_a_primary_is_not_used(settings, client):
    """A promoted standby (or a URL naming the primary) could miss the primary's writes."""
    entry = {**connections["default"].settings_dict, "TEST": {"MIRROR": "default"}}
    entry["OPTIONS"] = {k: v for k, v in entry["OPTIONS"].items() if k != "pool"}
    entry["CONN_MAX_AGE"] = 0
    _use_replica(settings, entry)
    PostFactory.create()
    with CaptureQueriesContext(connections[ALIAS]) as on_replica:
        assert client.get(reverse("blog:home")).status_code == 200
    assert len(on_replica.captured_queries) == 1  # the check that found it in charge


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", ALIAS])
def test_replica_unused_inside_atomic_and_after_a_write(routed):
    token = db_router.begin_request(replica_allowed=True)
    try:
        assert Post.objects.db == ALIAS
        with transaction.atomic():
            assert Post.objects.db == "default"
        PostFactory.create()  # a write: the rest of the request reads its own writes
        assert Post.objects.db == "default"
    finally:
        db_router.end_request(token)
