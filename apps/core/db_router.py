"""Read replicas: which database a query goes to.

`DATABASE_REPLICA_URLS` adds one alias per replica (`replica_1`, …, settings.DATABASE_REPLICAS).
Everything goes to the primary (`default`) unless all of these hold:

- the query runs inside a request that `ReplicaRoutingMiddleware` marked as replica-safe:
  a GET/HEAD by an anonymous reader (no session cookie, no Authorization header), that is
  anonymous public pages and the API's public lists;
- the reader has not written lately: after any write the middleware sets a cookie for
  `REPLICA_STICKY_SECONDS`, and the rest of the writing request stays on the primary too
  (read-your-writes);
- no transaction is open on the primary (`atomic` blocks and `select_for_update` read what
  they are about to write, so they must see the primary);
- the replica answered its last health check, and lagged at most `REPLICA_MAX_LAG_SECONDS`
  behind. The check is one cheap query, made at most every `REPLICA_CHECK_INTERVAL` seconds
  per process; a replica that fails it (down, unreachable, lagging) is skipped until the next
  check, and the primary serves.

Writes and migrations only ever touch the primary. Outside a request (tasks, commands,
the shell) nothing reads from a replica.
"""

from __future__ import annotations

import contextvars
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import structlog
from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase

logger = structlog.get_logger("inkwell.db")

PRIMARY = "default"

# On a standby: 0 when everything received has been replayed, else the age of the last
# replayed transaction. (The plain age would grow on an idle primary where nothing is late.)
LAG_QUERY = (
    "SELECT pg_is_in_recovery(), CASE"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


@dataclass
class Routing:
    """What the current request may do: read from a replica, and whether it has written."""

    replica_allowed: bool = False
    wrote: bool = False
    used: set[str] = field(default_factory=set)


_routing: contextvars.ContextVar[Routing | None] = contextvars.ContextVar(
    "inkwell_db_routing", default=None
)


def begin_request(*, replica_allowed: bool) -> contextvars.Token[Routing | None]:
    """Start routing a request's queries; `end_request` with the token when it is done."""
    return _routing.set(Routing(replica_allowed=replica_allowed))


def end_request(token: contextvars.Token[Routing | None]) -> None:
    _routing.reset(token)


def current() -> Routing | None:
    return _routing.get()


@dataclass
class _Health:
    checked_at: float
    usable: bool


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


def replica_aliases() -> list[str]:
    return list(getattr(settings, "DATABASE_REPLICAS", []))


def forget_health() -> None:
    """Drop every remembered health check (tests, and after a configuration change)."""
    with _health_lock:
        _health.clear()


def mark_down(alias: str) -> None:
    """Skip `alias` until the next check is due (a query on it just failed)."""
    with _health_lock:
        _health[alias] = _Health(checked_at=time.monotonic(), usable=False)


def _check(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_QUERY)
            row = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("replica.unavailable", alias=alias, error=str(exc).strip()[:300])
        # A broken connection is not reused: the next check connects afresh.
        connections[alias].close()
        return False
    in_recovery, lag = bool(row[0]), float(row[1])
    if not in_recovery:
        # Someone promoted it (or pointed the URL at a primary): not a replica of ours any
        # more, and reading from it could miss writes made to the real primary.
        logger.warning("replica.not_in_recovery", alias=alias)
        return False
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning("replica.lagging", alias=alias, lag_seconds=round(lag, 3))
        return False
    return True


def replica_usable(alias: str) -> bool:
    """Whether `alias` passed its health check (made anew when the last one is too old)."""
    now = time.monotonic()
    with _health_lock:
        known = _health.get(alias)
    if known is not None and now - known.checked_at < settings.REPLICA_CHECK_INTERVAL:
        return known.usable
    usable = _check(alias)
    with _health_lock:
        _health[alias] = _Health(checked_at=time.monotonic(), usable=usable)
    return usable


def staleness_ns() -> int:
    """How far (ns) a healthy replica may be behind: the allowed lag, plus the check's age."""
    seconds = settings.REPLICA_MAX_LAG_SECONDS + settings.REPLICA_CHECK_INTERVAL
    return int(seconds * 1_000_000_000)


def read_staleness_ns() -> int:
    """How old (ns) the rows the current code reads may be: 0 unless it may use a replica.

    The page cache asks, so that a page or fragment rendered from a replica is not stored
    when what it shows changed within that window (it may show the rows from before).
    """
    routing = _routing.get()
    if routing is None or not routing.replica_allowed or routing.wrote:
        return 0
    return staleness_ns()


def _choose_replica() -> str | None:
    routing = _routing.get()
    if routing is None or not routing.replica_allowed or routing.wrote:
        return None
    aliases = replica_aliases()
    if not aliases:
        return None
    if transaction.get_connection(PRIMARY).in_atomic_block:
        return None
    # Several replicas share the load; a request stays on the one it started with, so all
    # its reads see one snapshot (a replica dying meanwhile: ReplicaRoutingMiddleware).
    if routing.used:
        return next(iter(routing.used))
    for alias in random.sample(aliases, len(aliases)):  # load spreading, not security
        if replica_usable(alias):
            routing.used.add(alias)
            return alias
    # None is usable: the whole request reads from the primary, without asking again.
    routing.replica_allowed = False
    return None


class ReplicaRouter:
    """Reads to a healthy replica when the request allows it; everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return _choose_replica() or PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        routing = _routing.get()
        if routing is not None:
            # Read-your-writes: the rest of this request, and the reader's next requests
            # for a while (the middleware's cookie), read from the primary.
            routing.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replicas hold the primary's rows: an object read from one relates to any other.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # Replicas follow the primary's WAL; they are read-only and never migrated.
        return db == PRIMARY


SAFE_METHODS = frozenset({"GET", "HEAD"})


def _replica_safe(request: HttpRequest) -> bool:
    if request.method not in SAFE_METHODS:
        return False
    if "Authorization" in request.headers:  # an API client: its lists may be personal
        return False
    cookies = request.COOKIES
    # A session may be signed in; a recent writer reads its own writes from the primary.
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and settings.REPLICA_STICKY_COOKIE not in cookies
    )


class ReplicaRoutingMiddleware:
    """Let anonymous GETs read from a replica; keep writers on the primary for a while.

    Sits inside the page cache (a stored page needs no database) and outside sessions and
    authentication (they read too). A replica that fails during the request (the 503 that
    a database error becomes, apps.core.middleware) is checked at once; if it is the
    culprit it is skipped and the request runs again on the primary: it is a GET, so
    running it twice is safe.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        get_response = cast("Callable[[HttpRequest], HttpResponseBase]", self.get_response)
        if not replica_aliases():
            return get_response(request)
        token = _begin(request)
        try:
            response = get_response(request)
            if _replica_failed(response):
                end_request(token)
                token = _begin_retry(request)
                response = get_response(request)
            return _finish(response)
        finally:
            end_request(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        get_response = cast(
            "Callable[[HttpRequest], Awaitable[HttpResponseBase]]", self.get_response
        )
        if not replica_aliases():
            return await get_response(request)
        token = _begin(request)
        try:
            response = await get_response(request)
            if await sync_to_async(_replica_failed)(response):
                end_request(token)
                token = _begin_retry(request)
                response = await get_response(request)
            return _finish(response)
        finally:
            end_request(token)


def _begin(request: HttpRequest) -> contextvars.Token[Routing | None]:
    allowed = _replica_safe(request)
    # Read by the page cache (outside this middleware): a page rendered from a replica
    # may show rows up to the allowed lag old (see read_staleness_ns).
    request.replica_staleness_ns = staleness_ns() if allowed else 0  # type: ignore[attr-defined]
    return begin_request(replica_allowed=allowed)


def _begin_retry(request: HttpRequest) -> contextvars.Token[Routing | None]:
    request.replica_staleness_ns = 0  # type: ignore[attr-defined]
    # The page cache's render slot belongs to the first attempt: render this one uncached.
    request._page_cache = None  # type: ignore[attr-defined]
    return begin_request(replica_allowed=False)


def _replica_failed(response: HttpResponseBase) -> bool:
    """Whether a 503 came from a replica this request used (checked again, now)."""
    routing = _routing.get()
    if response.status_code != 503 or routing is None or not routing.used:
        return False
    failed = False
    for alias in routing.used:
        if not _check(alias):
            mark_down(alias)
            failed = True
    if failed:
        logger.warning("replica.retry_on_primary", aliases=sorted(routing.used))
    return failed


def _finish(response: HttpResponseBase) -> HttpResponseBase:
    routing = _routing.get()
    if routing is not None and routing.wrote:
        response.set_cookie(
            settings.REPLICA_STICKY_COOKIE,
            "1",
            max_age=settings.REPLICA_STICKY_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response
