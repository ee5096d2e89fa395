"""The replica router's rules that need no database: where reads go, and bad settings."""

from __future__ import annotations

import subprocess

import pytest

from apps.blog.models import Post
from apps.core import db_router
from tests.servers import MANAGE, ROOT, clean_env

ALIAS = "replica_1"


def test_router_outside_a_request_uses_the_primary(settings):
    settings.DATABASE_REPLICAS = [ALIAS]
    router = db_router.ReplicaRouter()
    assert router.db_for_read(Post) == "default"
    assert router.db_for_write(Post) == "default"
    assert router.allow_migrate("default", "blog")
    assert not router.allow_migrate(ALIAS, "blog")


def test_read_staleness_only_for_replica_reads(settings):
    settings.REPLICA_MAX_LAG_SECONDS = 2
    settings.REPLICA_CHECK_INTERVAL = 1
    assert db_router.read_staleness_ns() == 0
    token = db_router.begin_request(replica_allowed=True)
    try:
        assert db_router.read_staleness_ns() == 3_000_000_000
        db_router.ReplicaRouter().db_for_write(Post)
        assert db_router.read_staleness_ns() == 0
    finally:
        db_router.end_request(token)


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ("mysql://u@h/db", "entry 1 must be a postgres:// URL"),
        ("postgres://u@h:5432/db,not a url", "entry 2"),
    ],
)
def test_replica_urls_rejected_with_a_clear_message(urls, message):
    env = clean_env(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/inkwell", DATABASE_REPLICA_URLS=urls
    )
    result = subprocess.run(
        [*MANAGE, "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
