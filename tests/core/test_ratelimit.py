"""The fixed-window counter behind every rate limit (SQLite + LocMem here, Redis in integration)."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from apps.core import ratelimit


def test_hits_count_down_the_budget_and_refuse_past_it():
    ratelimit.reset("t:one", window=60)
    first = ratelimit.hit("t:one", limit=2, window=60)
    second = ratelimit.hit("t:one", limit=2, window=60)
    third = ratelimit.hit("t:one", limit=2, window=60)
    assert (first.allowed, first.remaining) == (True, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert not third.allowed
    assert third.headers()["Retry-After"] == str(third.retry_after)
    # peek() reads the same counter without counting.
    assert ratelimit.peek("t:one", limit=2, window=60).remaining == 0
    assert ratelimit.peek("t:other", limit=2, window=60).remaining == 2


def test_a_cost_counts_several_hits_at_once():
    ratelimit.reset("t:cost", window=60)
    assert ratelimit.hit("t:cost", limit=10, window=60, cost=7).remaining == 3
    assert not ratelimit.hit("t:cost", limit=10, window=60, cost=4).allowed


def test_the_counter_expires_with_its_window():
    ratelimit.reset("t:ttl", window=30)
    ratelimit.hit("t:ttl", limit=5, window=30)
    ratelimit.hit("t:ttl", limit=5, window=30)
    backend = caches["default"]
    bucket, _ = ratelimit._bucket("t:ttl", 30, __import__("time").time())
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=False)  # type: ignore[attr-defined]
        ttl = client.ttl(backend.make_and_validate_key(bucket))
        assert 0 < ttl <= 31  # set by the first hit, kept by the second
    assert backend.get(bucket) == 2


def test_a_limiter_whose_cache_is_down_lets_the_request_through(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with caplog.at_level(logging.WARNING, logger="inkwell.ratelimit"):
        usage = ratelimit.hit("t:down", limit=1, window=60)
    assert usage.allowed
    assert "ratelimit.unavailable" in caplog.text


@pytest.fixture(autouse=True)
def _cache_db(db):
    """The limiter needs no database; the autouse cache fixture of conftest does."""
