"""The Redis cache backend, made to survive a Redis outage without serving stale data.

Everything on the default cache is a copy of the database (cachalot's query results,
cached_db sessions, stored pages and their dependency tokens, rate-limit counters), so
when Redis is unreachable the site can go on from the database alone. Django's RedisCache
raises instead, and with it every request that touches the cache: the sessions of every
signed-in reader, every cachalot query, the API's rate limiter.

`ResilientRedisCache` is Django's RedisCache with three changes:

- while Redis is down, a read is a miss and a write or delete is skipped (the caller goes
  on from the database);
- after a failure it does not touch Redis again for `RETRY_INTERVAL` seconds (an OPTIONS
  key, `CACHE_RETRY_INTERVAL` in the settings), so requests do not each wait for a
  connection timeout from a dead server; one state per server and key prefix is shared
  by the threads of a process, and the outage and the recovery are one log line each;
- every key it failed to write or delete is remembered and, before anything else once
  Redis answers again, deleted. A write that failed may have been an invalidation
  (cachalot's table timestamps, the page cache's dependency tokens, a session that was
  changed or ended): if Redis kept its data through the outage (a network blip, a
  failover), the old value would otherwise be served as current. Deleting is always safe:
  the next reader misses and reads the database. Past `MAX_PENDING` keys the process
  deletes every key of its prefix instead (SCAN, never FLUSHDB: other sites, the channel
  layer and parallel test runs share the server).

What it cannot do: a process replays its own failed writes only, when it next uses the
cache, so until then another process may still read a value invalidated during the
outage (docs/deployment.md, "When Redis is down").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import structlog
from django.core.cache import BaseCache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from apps.core.metrics import cache_read

logger = structlog.get_logger("inkwell.cache")

_MISS = object()

# What a broken or unreachable Redis raises.
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
DEFAULT_RETRY_INTERVAL = 5.0
MAX_PENDING = 10_000
_REPLAY_BATCH = 500

T = TypeVar("T")


class CacheUnavailableError(RedisConnectionError):
    """Raised by `redis_client` while the cache is known to be down (no network touched)."""


class _State:
    """Whether one Redis (server + key prefix) is usable, and what to delete when it is back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.pending: set[str] = set()  # backend keys (prefix and version included)
        self.overflowed = False

    def remember(self, keys: Iterable[str]) -> None:
        with self.lock:
            if self.overflowed:
                return
            self.pending.update(keys)
            if len(self.pending) > MAX_PENDING:
                self.pending.clear()
                self.overflowed = True


_states: dict[tuple[str, str], _State] = {}
_states_lock = threading.Lock()


def _state_for(location: str, prefix: str) -> _State:
    with _states_lock:
        return _states.setdefault((location, prefix), _State())


class ResilientRedisCache(RedisCache):
    """Django's RedisCache whose outages are cache misses (see the module docstring)."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": dict(params.get("OPTIONS", {}))}
        self.retry_interval = float(params["OPTIONS"].pop("RETRY_INTERVAL", DEFAULT_RETRY_INTERVAL))
        # The CACHES alias, for `inkwell_cache_hits_total{cache=...}` (Django does not say).
        self.metrics_alias = str(params.get("ALIAS", "default"))
        super().__init__(server, params)
        # Django makes one backend object per thread; the outage state is the process's.
        servers = self._servers  # type: ignore[attr-defined]  # django-stubs lacks RedisCache's
        self._state = _state_for(",".join(servers), self.key_prefix)

    # -- the outage state ------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether Redis may be used now: up, or due for another try (replaying first)."""
        state = self._state
        if state.down_since is None and not state.pending and not state.overflowed:
            return True
        with state.lock:
            if state.down_since is not None and time.monotonic() < state.retry_at:
                return False
            # One thread tries; the others carry on without Redis until the next interval.
            state.retry_at = time.monotonic() + self.retry_interval
            pending, overflowed = set(state.pending), state.overflowed
        try:
            self._replay(pending, overflowed)
        except CACHE_ERRORS as error:
            self._went_down(error)
            return False
        with state.lock:
            state.pending.difference_update(pending)
            if overflowed:
                state.overflowed = False
            outage = state.down_since
            state.down_since = None
        if outage is not None:
            logger.warning(
                "cache.recovered",
                down_s=round(time.monotonic() - outage, 1),
                deleted=len(pending),
                cleared_prefix=overflowed,
            )
        return True

    def _replay(self, keys: set[str], overflowed: bool) -> None:
        client = self._cache.get_client(None, write=True)  # type: ignore[attr-defined]
        client.ping()  # nothing to delete still has to prove the server is back
        if overflowed:
            pattern = self.make_key("*")
            batch: list[Any] = []
            for name in client.scan_iter(match=pattern, count=1000):
                batch.append(name)
                if len(batch) >= _REPLAY_BATCH:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)
            return
        ordered = sorted(keys)
        for start in range(0, len(ordered), _REPLAY_BATCH):
            client.delete(*ordered[start : start + _REPLAY_BATCH])

    def _went_down(self, error: BaseException) -> None:
        state = self._state
        with state.lock:
            first = state.down_since is None
            if first:
                state.down_since = time.monotonic()
            state.retry_at = time.monotonic() + self.retry_interval
        if first:
            logger.warning(
                "cache.unavailable",
                error=f"{type(error).__name__}: {error}"[:200],
                retry_s=self.retry_interval,
            )

    def _read(self, call: Callable[[], T], default: T) -> T:
        if not self.available:
            return default
        try:
            return call()
        except CACHE_ERRORS as error:
            self._went_down(error)
            return default

    def _write(self, keys: list[str], call: Callable[[], T], default: T) -> T:
        if not self.available:
            self._state.remember(keys)
            return default
        try:
            return call()
        except CACHE_ERRORS as error:
            self._went_down(error)
            self._state.remember(keys)
            return default

    # -- Django's cache API ----------------------------------------------------------------

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        value = self._read(lambda: super(ResilientRedisCache, self).get(key, _MISS, version), _MISS)
        # While Redis is down every read is a miss, and counts as one.
        cache_read(self.metrics_alias, 0 if value is _MISS else 1, 1 if value is _MISS else 0)
        return default if value is _MISS else value

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        keys = list(keys)
        found: dict[str, Any] = self._read(
            lambda: super(ResilientRedisCache, self).get_many(keys, version), {}
        )
        cache_read(self.metrics_alias, len(found), len(keys) - len(found))
        return found

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self._read(lambda: super(ResilientRedisCache, self).has_key(key, version), False)

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        names = [self.make_and_validate_key(key, version=version)]
        self._write(
            names, lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None
        )

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        # True during an outage: nothing stops the caller (a page cache's render lock) from
        # going on, and nothing it would wait for can appear.
        names = [self.make_and_validate_key(key, version=version)]
        return self._write(
            names, lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), True
        )

    def set_many(
        self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[str]:
        names = [self.make_and_validate_key(key, version=version) for key in data]
        return self._write(
            names,
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            list(data),
        )

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._read(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key: str, version: int | None = None) -> bool:
        names = [self.make_and_validate_key(key, version=version)]
        return self._write(
            names, lambda: super(ResilientRedisCache, self).delete(key, version), False
        )

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        keys = list(keys)
        names = [self.make_and_validate_key(key, version=version) for key in keys]
        self._write(
            names, lambda: super(ResilientRedisCache, self).delete_many(keys, version), None
        )

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        # Django raises ValueError for a missing key; during an outage every key is missing.
        name = self.make_and_validate_key(key, version=version)
        result = self._write(
            [name], lambda: super(ResilientRedisCache, self).incr(key, delta, version), None
        )
        if result is None:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).")
        return result

    def clear(self) -> None:
        if not self.available:
            with self._state.lock:
                self._state.pending.clear()
                self._state.overflowed = True
            return
        super().clear()

    @contextmanager
    def client(self, key: str | None = None, *, write: bool) -> Iterator[Any]:
        """redis-py's client for `key`, for a command Django's API lacks (MGET of raw values,
        a pipeline); raises CacheUnavailableError while down, and a failure counts as one."""
        if not self.available:
            raise CacheUnavailableError("The cache is unavailable.")
        try:
            yield self._cache.get_client(key, write=write)  # type: ignore[attr-defined]
        except CACHE_ERRORS as error:
            self._went_down(error)
            raise


@contextmanager
def redis_client(backend: BaseCache, key: str | None = None, *, write: bool) -> Iterator[Any]:
    """The raw redis-py client behind a Redis cache backend, resilient or not."""
    if isinstance(backend, ResilientRedisCache):
        with backend.client(key, write=write) as client:
            yield client
    else:
        assert isinstance(backend, RedisCache)  # noqa: S101 (callers check the backend)
        yield backend._cache.get_client(key, write=write)  # type: ignore[attr-defined]


def send_commands(client: Any, commands: list[tuple[Any, ...]]) -> list[Any]:
    """Send `commands` on one connection of `client`'s pool and read their replies in order.

    redis-py's pipeline object costs more Python than the round trip for the two or three
    small commands of a hot path (a rate limit's INCRBY + EXPIRE). A failure disconnects
    the connection, so a reply half read never reaches the next caller, and raises what
    redis-py raised (an error reply included).
    """
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_packed_command(connection.pack_commands(commands), check_health=False)
        return [connection.read_response() for _ in commands]
    except BaseException:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)


def cache_available(backend: BaseCache) -> bool:
    """False while a resilient Redis cache is known to be down (no network touched)."""
    return not isinstance(backend, ResilientRedisCache) or backend.available


class CountedLocMemCache(LocMemCache):
    """Django's local-memory cache (the embedded default) with its hits and misses counted."""

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__(name, params)
        self.metrics_alias = str(params.get("ALIAS", "default"))

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        value = super().get(key, _MISS, version)
        cache_read(self.metrics_alias, 0 if value is _MISS else 1, 1 if value is _MISS else 0)
        return default if value is _MISS else value

    # get_many is BaseCache's, one `get` per key: counted there.


@contextmanager
def cachalot_off(*, all_queries: bool = False) -> Iterator[None]:
    """django-cachalot's `cachalot_disabled`, switched back on even when the block raises.

    cachalot's own context manager restores its thread-local flag only on a clean exit: an
    import that failed inside it left every later query of that thread uncached (and a
    test worker's cache outage unnoticed). Use this one.
    """
    from cachalot.api import LOCAL_STORAGE
    from cachalot.settings import cachalot_settings

    was_enabled = getattr(LOCAL_STORAGE, "cachalot_enabled", cachalot_settings.CACHALOT_ENABLED)
    was_all = getattr(LOCAL_STORAGE, "disable_on_all", False)
    LOCAL_STORAGE.cachalot_enabled = False
    LOCAL_STORAGE.disable_on_all = all_queries
    try:
        yield
    finally:
        LOCAL_STORAGE.cachalot_enabled = was_enabled
        LOCAL_STORAGE.disable_on_all = was_all
