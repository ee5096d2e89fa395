"""The session engine: qsessions' cached-database sessions, whose cache read can come early.

A signed-in request read its session from the cache, then the users table's invalidation
stamp (for the per-process copy of the reader, apps.accounts.middleware), one round trip to
Redis each. SessionMiddleware asks for both in one `get_many` and hands the session's part
to its store here; the store then loads from it instead of asking the cache again. Anything
else (no value in the cache, a store made elsewhere) loads exactly as qsessions does.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as DjangoCachedDBStore
from qsessions.backends.cached_db import KEY_PREFIX
from qsessions.backends.db import SessionStore as QSessionsDBStore

_UNSET: Any = object()


class _CachedDBStore(DjangoCachedDBStore):
    """Django's cached-db store that can be given its cache value ahead of load()."""

    _prefetched: Any = _UNSET

    def give_cached(self, data: dict[str, Any] | None) -> None:
        """What the cache holds under cache_key (None: nothing), read with other keys."""
        self._prefetched = data

    def load(self) -> dict[str, Any]:
        data, self._prefetched = self._prefetched, _UNSET
        if isinstance(data, dict):
            return data
        loaded: dict[str, Any] = super().load()
        return loaded


class SessionStore(QSessionsDBStore, _CachedDBStore):  # type: ignore[misc]  # qsessions is untyped
    """qsessions' cached_db store (IP, user agent, the user's key), with give_cached()."""

    cache_key_prefix = KEY_PREFIX
