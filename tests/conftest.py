from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from channels.layers import channel_layers
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.factories.accounts import UserFactory
from tests.servers import RedisServer
from tests.utils import clear_cache

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`postgres` tests need the real PostgreSQL and Redis: skip them on the embedded run.

    `once` tests do not depend on the database or cache backend: the integration run skips
    them, as the unit run has run them.
    """
    if ON_POSTGRES and settings.REDIS_URL:
        once = pytest.mark.skip(reason="backend-independent: run by the unit run (make unit)")
        for item in items:
            if "once" in item.keywords:
                item.add_marker(once)
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL and Redis (make integration)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """Close psycopg pools before the test databases are dropped (open ones block DROP).

    A connection still checked out by a finished thread (channels' database
    executor, the task worker) would keep the database busy, so any session
    left on the test database is ended too.
    """
    yield
    with django_db_blocker.unblock():
        for connection in connections.all(initialized_only=True):
            if connection.vendor != "postgresql":
                continue
            if getattr(connection, "pool", None) is not None:
                connection.close_pool()  # type: ignore[attr-defined]  # PostgreSQL only
            connection.close()
            with connection._nodb_cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [connection.settings_dict["NAME"]],
                )


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    """Tests render every page: factories write past the services that invalidate pages.

    The page cache's own tests (tests/core/test_pagecache.py, tests/blog/test_page_cache.py)
    switch it on with the `page_cache` fixture.
    """
    settings.PAGE_CACHE_ENABLED = False


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture(autouse=True)
def _analytics_buffer_held():
    """Server-side goals (a comment, a sign-up) wait in the in-process analytics buffer.

    Its writer thread would otherwise write them a couple of seconds later, into whatever
    test runs then: on the shared in-memory SQLite database that write can lock a table
    under another test's request (a session save failed with 400 that way). Events are
    written only when a test drains them, and what is left is dropped at the end.
    """
    from django.test import override_settings

    from apps.analytics import buffer

    # Not the `settings` fixture: taking it here would restore settings before the cache
    # fixtures tear down, while a test's own Redis is already gone.
    with override_settings(ANALYTICS_FLUSH_SECONDS=3600):
        yield
    with buffer.memory.lock:
        buffer.memory.items.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache, so cachalot never serves an earlier test's rows."""
    clear_cache()
    _forget_post_languages()
    yield
    clear_cache()
    _forget_post_languages()


def _forget_post_languages() -> None:
    # A process keeps each post's language (fixed in production); a test database reuses
    # ids across tests, so the next test's post 1 may be in another language.
    from apps.comments import broadcasts

    broadcasts.post_language.cache_clear()
    broadcasts._known_languages.clear()


@pytest.fixture
def user(db):
    return UserFactory.create()


@pytest.fixture
def htmx_client() -> Client:
    """A client whose requests look like htmx swaps."""
    return Client(headers={"HX-Request": "true"})


@pytest.fixture
def own_redis(settings, tmp_path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, behind the cache, the sessions and the channel layer.

    Stop and start it freely (`own_redis.stop()`, `.start()`, `.restart()`): the shared Redis
    is untouched. It comes back with the data it had when stopped, like a Redis after a
    network blip or a failover (the case where a stale value could be served). The cache
    retries a dead server after 0.2 s here, not the production 5.
    """
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    server = RedisServer(tmp_path, keep_data=True)
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": settings.CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1, "RETRY_INTERVAL": 0.2},
        }
    }
    settings.SESSION_ENGINE = "qsessions.backends.cached_db"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": server.url, "socket_connect_timeout": 1}]},
        }
    }
    channel_layers.backends.clear()
    try:
        yield server
    finally:
        server.stop()
        channel_layers.backends.clear()
