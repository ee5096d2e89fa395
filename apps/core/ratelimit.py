"""Fixed-window rate limits kept in the default cache (Redis in production).

Services enforce limits without a request (a comment posted over the web and over
the API must count against the same budget), and the API announces the budget on
every response (`RateLimit-*` headers). django-ratelimit is built around a request
and a decorator and exposes neither cleanly, so this small counter is ours.

A window is `window` seconds long and aligned to the epoch, so every process and
host computes the same bucket for the same moment and the counters are shared
through the cache. On Redis a hit is one round trip (INCRBY and EXPIRE NX in a
pipeline); every API request pays it.

A limiter whose cache is down lets the request through with a log line: refusing
every reader and writer because Redis blinked would turn a cache outage into a
site outage.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from apps.core.cache import CacheUnavailableError, redis_client, send_commands

logger = structlog.get_logger("inkwell.ratelimit")


@dataclass(frozen=True)
class Usage:
    """One key's budget after a hit: what to announce and whether to refuse."""

    limit: int
    remaining: int
    reset: int  # seconds until the window ends
    allowed: bool

    @property
    def retry_after(self) -> int:
        return max(1, self.reset)

    def headers(self) -> dict[str, str]:
        """The IETF draft `RateLimit-*` headers (plus `Retry-After` when refused)."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def _bucket(key: str, window: int, now: float) -> tuple[str, int]:
    start = int(now // window) * window
    return f"ratelimit:{key}:{window}:{start}", start + window


def hit(key: str, *, limit: int, window: int, cost: int = 1) -> Usage:
    """Count `cost` against `key` in the current window; report what is left."""
    now = time.time()
    bucket, ends = _bucket(key, window, now)
    reset = max(0, math.ceil(ends - now))
    try:
        count = _count(bucket, cost, window)
    except (RedisError, OSError) as error:
        if not isinstance(error, CacheUnavailableError):  # else the cache logged the outage
            logger.warning("ratelimit.unavailable", key=key, error=type(error).__name__)
        return Usage(limit=limit, remaining=limit, reset=reset, allowed=True)
    return Usage(limit=limit, remaining=max(0, limit - count), reset=reset, allowed=count <= limit)


def _count(bucket: str, cost: int, window: int) -> int:
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        name = backend.make_and_validate_key(bucket)
        with redis_client(backend, name, write=True) as client:
            # The first hit of a window gives the counter its expiry; later hits keep it.
            # Django stores integers unpickled, so peek() reads the same counter.
            count, _ = send_commands(
                client, [("INCRBY", name, cost), ("EXPIRE", name, window + 1, "NX")]
            )
        return int(count)
    # add() is atomic: the first hit in a window creates the counter with its expiry.
    if cache.add(bucket, cost, timeout=window + 1):
        return cost
    try:
        return int(cache.incr(bucket, cost))
    except ValueError:  # expired between add() and incr()
        cache.set(bucket, cost, timeout=window + 1)
        return cost


def peek(key: str, *, limit: int, window: int) -> Usage:
    """The budget as it stands, without counting a hit."""
    now = time.time()
    bucket, ends = _bucket(key, window, now)
    count = int(cache.get(bucket, 0))
    reset = max(0, math.ceil(ends - now))
    return Usage(limit=limit, remaining=max(0, limit - count), reset=reset, allowed=count < limit)


def reset(key: str, *, window: int) -> None:
    """Forget the current window's count (tests, and admins lifting a limit)."""
    bucket, _ = _bucket(key, window, time.time())
    cache.delete(bucket)


# Where apps.core.replay leaves the usage of an API request it counted and did not answer.
API_USAGE_MARKER = "inkwell.api_usage"


@dataclass(frozen=True, slots=True)
class PendingHit:
    """A hit on Redis prepared to travel with other commands: one round trip for both.

    apps.core.replay sends it with a stored page's freshness check (an MGET), so an API
    read answered from the replay tier costs one round trip to Redis, not two.
    """

    name: str  # the counter's full key in Redis
    limit: int
    window: int
    reset: int
    cost: int = 1

    def commands(self) -> list[tuple[str | int, ...]]:
        return [("INCRBY", self.name, self.cost), ("EXPIRE", self.name, self.window + 1, "NX")]

    def usage(self, replies: list[object]) -> Usage:
        """The budget after the hit, from the replies to commands() (in order)."""
        count = int(replies[0])  # type: ignore[call-overload]
        return Usage(
            limit=self.limit,
            remaining=max(0, self.limit - count),
            reset=self.reset,
            allowed=count <= self.limit,
        )


def api_anonymous_pending(ip: str | None) -> PendingHit | None:
    """api_anonymous_usage's hit, prepared for sending along (None unless the cache is Redis)."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    window = int(settings.API_RATE_LIMIT_WINDOW)
    now = time.time()
    bucket, ends = _bucket(f"api:ip:{ip or 'unknown'}", window, now)
    return PendingHit(
        name=backend.make_and_validate_key(bucket),
        limit=int(settings.API_RATE_LIMIT_ANON),
        window=window,
        reset=max(0, math.ceil(ends - now)),
    )


def api_anonymous_usage(ip: str | None) -> Usage:
    """Count one API request of a client without a token against its IP's budget."""
    return hit(
        f"api:ip:{ip or 'unknown'}",
        limit=int(settings.API_RATE_LIMIT_ANON),
        window=int(settings.API_RATE_LIMIT_WINDOW),
    )
