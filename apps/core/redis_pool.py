"""One Redis connection pool per process for Django's cache (CACHES' `pool_class`).

Django's RedisCache keeps its pool on the cache object, and `django.core.cache.caches`
holds one cache object per thread *and per asyncio context* (asgiref's Local). Every
WebSocket consumer runs in a context of its own, so each open socket that touched the
cache (the session, cachalot's reads) got its own pool and kept one connection for as long
as the socket stayed open: about 1,000 idle connections per ASGI process at 1,000 sockets,
most of the 2,135 counted for two processes. Here every cache object of the process
(threads and contexts alike) shares one pool per server URL and options. It waits for a
free connection when all are busy instead of opening more (`max_connections`, `timeout`
in CACHES' OPTIONS). redis-py's pools are thread-safe and notice a fork by themselves.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import redis


class SharedConnectionPool(redis.BlockingConnectionPool):
    _shared: ClassVar[dict[tuple[str, str], SharedConnectionPool]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> SharedConnectionPool:
        """The process's pool for `url` and these options, made on first use."""
        key = (url, repr(sorted(kwargs.items())))
        with cls._shared_lock:
            pool = cls._shared.get(key)
            if pool is None:
                pool = cls._shared[key] = super().from_url(url, **kwargs)
            return pool
