"""Fixed-window rate limits kept in the default cache (Redis in production).

Services enforce limits without a request (a comment posted over the web and over
the API must count against the same budget), and the API announces the budget on
every response (`RateLimit-*` headers). django-ratelimit is built around a request
and a decorator and exposes neither cleanly, so this small counter is ours.

A window is `window` seconds long and aligned to the epoch, so every process and
host computes the same bucket for the same moment and the counters are shared
through the cache.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache


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
    # add() is atomic: the first hit in a window creates the counter with its expiry.
    if cache.add(bucket, cost, timeout=window + 1):
        count = cost
    else:
        try:
            count = cache.incr(bucket, cost)
        except ValueError:  # expired between add() and incr()
            cache.set(bucket, cost, timeout=window + 1)
            count = cost
    reset = max(0, math.ceil(ends - now))
    return Usage(limit=limit, remaining=max(0, limit - count), reset=reset, allowed=count <= limit)


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
