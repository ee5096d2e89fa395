"""The resilient Redis cache (apps.core.cache) across an outage of its own redis-server."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.test import Client

from apps.core import cache as resilient
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _events(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    return [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == name]


def _after_retry_interval() -> None:
    time.sleep(0.3)  # own_redis's cache retries after 0.2 s


def test_cache_outage_reads_miss_writes_are_skipped_and_it_is_logged_once(own_redis, caplog):
    cache.set("kept", "old")
    own_redis.stop()
    assert cache.get("kept") is None
    assert cache.get("kept", "fallback") == "fallback"
    assert cache.get_many(["kept", "other"]) == {}
    cache.set("kept", "new")
    cache.delete("other")
    assert cache.add("lock", 1) is True  # nothing can hold a lock on a dead server
    with pytest.raises(ValueError, match="not found"):
        cache.incr("counter")
    started = time.monotonic()
    for _ in range(200):
        cache.get("kept")
    assert time.monotonic() - started < 0.5  # no connection attempt per call
    assert len(_events(caplog, "cache.unavailable")) == 1


def test_cache_outage_writes_are_deleted_when_redis_is_back(own_redis, caplog):
    cache.set_many({"invalidated": "old token", "untouched": "still good"})
    own_redis.stop()
    cache.set("invalidated", "new token")  # lost: Redis is down
    own_redis.start()  # with "old token" still stored
    assert cache.get("invalidated") is None  # within the retry interval: still a miss
    _after_retry_interval()
    assert cache.get("invalidated") is None  # deleted before anything is read
    assert cache.get("untouched") == "still good"
    cache.set("invalidated", "fresh")
    assert cache.get("invalidated") == "fresh"
    assert [e["deleted"] for e in _events(caplog, "cache.recovered")] == [1]


def test_cache_outage_past_max_pending_clears_only_its_own_prefix(own_redis, monkeypatch):
    monkeypatch.setattr(resilient, "MAX_PENDING", 5)
    cache.set("before", "old")
    neighbour = own_redis.client()
    neighbour.set("another-site:1:page", b"theirs")
    neighbour.set(f"{settings.CACHE_KEY_PREFIX}:asgi:group", b"layer")
    own_redis.stop()
    for n in range(10):
        cache.set(f"k{n}", n)
    own_redis.start()
    _after_retry_interval()
    assert cache.get("before") is None
    assert neighbour.get("another-site:1:page") == b"theirs"
    assert neighbour.get(f"{settings.CACHE_KEY_PREFIX}:asgi:group") == b"layer"


def test_cache_outage_raw_client_is_refused_while_down(own_redis):
    own_redis.stop()
    cache.get("x")  # notices the outage
    backend = caches["default"]
    with pytest.raises(redis.ConnectionError), resilient.redis_client(backend, write=False) as c:
        c.get("x")


def test_cache_outage_session_ended_during_it_stays_ended(own_redis):
    user = UserFactory.create()
    post = PostFactory.create()
    browser = Client()
    browser.force_login(user)
    assert browser.get(post.get_absolute_url()).status_code == 200  # the session is cached
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value

    own_redis.stop()
    assert browser.post("/accounts/logout/").status_code == 302
    own_redis.start()  # still holding the signed-in session
    _after_retry_interval()

    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = cookie
    page = stolen.get(post.get_absolute_url())
    assert page.status_code == 200
    assert user.username not in page.content.decode()
