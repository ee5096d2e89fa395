"""The page cache for anonymous readers: rendered once, served until what it shows changes.

A view wrapped in `cached_for_readers` is rendered for a reader without a session and
stored with the *dependency tags* it declared while rendering (`depend_on(request,
"post:42", …)`). Each tag has a version token in the cache; a stored page is fresh while
every token it recorded is unchanged. The services that change what a page shows call
`invalidate(*tags)`, which replaces those tokens after their transaction commits, so
exactly the pages that showed the changed thing render again, and nothing waits for a
timer. Tokens are random, not counters: an evicted token reads as missing, which makes
every page that recorded it stale instead of colliding with an older version. A token
also records when it was made, so a page whose dependency was invalidated while it was
rendering (it may have read the old rows) is served once but not stored.

- Signed-in readers (a session cookie or an Authorization header) and readers with a
  pending flash message are never served a stored page, and their pages are never stored.
- A response that sets a cookie (a CSRF token, a session) is never stored.
- A stampede on a page that just went stale renders it once: the first reader takes a
  short lock and renders; the others get the previous version meanwhile (or wait a moment
  when there is none).
- A cache that is down serves every page uncached, never an error. On the resilient
  Redis backend (apps.core.cache) an invalidation that failed during an outage is replayed
  as a delete of the token once Redis is back, so the pages that recorded it render again;
  on another backend it is logged, and `PAGE_CACHE_TIMEOUT` bounds how long a page can
  then stay stale.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any, NotRequired, TypedDict

import structlog
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from redis.exceptions import RedisError

from apps.core.cache import cache_available, redis_client
from apps.core.db_router import read_staleness_ns
from apps.core.transactions import after_commit

logger = structlog.get_logger("inkwell.pagecache")

DEP_PREFIX = "page:dep:"
PAGE_PREFIX = "page:body:"
LOCK_PREFIX = "page:lock:"
# Every cached page depends on this: a site-wide change (name, layout) drops them all.
SITE = "site"
# Where a hit served from this process's copies is noted for apps.core.replay.
REPLAY_MARKER = "inkwell.page_copy"
# Headers that are made anew for each answer (or must never be shared), so not stored; the
# rest (type, language, Vary, CSP, framing…) travel with the body.
FRESH_HEADERS = frozenset(
    {"set-cookie", "etag", "cache-control", "expires", "date", "x-page-cache", "x-request-id"}
)
# Cookies whose presence means "this reader may see something personal".
PERSONAL_COOKIES = ("messages",)
# What a broken cache raises (Redis down or timing out); anything else is a bug.
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)

View = Callable[..., HttpResponse]


class Entry(TypedDict):
    """A stored page: the body, what describes it, and the dependency tokens it saw."""

    body: bytes
    status: int
    headers: dict[str, str]
    etag: str
    deps: dict[str, str]
    # The body gzipped once when stored (absent when it would not pay): a hit sends it to
    # every reader whose browser accepts gzip, so no worker or proxy compresses it again.
    gzip: NotRequired[bytes]


# Django's GZipMiddleware's test of Accept-Encoding.
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# Smaller bodies gain less than the header costs; other types are compressed already.
_GZIP_MIN_BYTES = 1024
_GZIP_TYPES = ("text/", "application/json", "application/xml", "application/rss+xml",
               "application/atom+xml", "image/svg+xml")  # fmt: skip


def accepts_gzip(accept_encoding: str) -> bool:
    return bool(accept_encoding) and _ACCEPTS_GZIP.search(accept_encoding) is not None


def _gzipped(body: bytes, headers: dict[str, str]) -> bytes | None:
    lowered = {name.lower(): value for name, value in headers.items()}
    if len(body) < _GZIP_MIN_BYTES or "content-encoding" in lowered:
        return None
    if not lowered.get("content-type", "").startswith(_GZIP_TYPES):
        return None
    # mtime=0: the same body always compresses to the same bytes (one ETag per version).
    packed = gzip.compress(body, compresslevel=6, mtime=0)
    return packed if len(packed) < len(body) else None


def gzip_etag(etag: str) -> str:
    """The ETag of the gzipped representation: another entity, so another tag."""
    return etag[:-1] + '-gz"' if etag.endswith('"') else etag + "-gz"


def _cache() -> BaseCache:
    return caches[settings.PAGE_CACHE_ALIAS]


def depend_on(request: HttpRequest, *tags: str) -> None:
    """Record that the page being rendered shows what `tags` name (no-op outside the cache)."""
    deps: set[str] | None = getattr(request, "_page_deps", None)
    if deps is not None:
        deps.update(tags)


def invalidate(*tags: str) -> None:
    """After the current transaction commits, make every page that showed `tags` stale."""
    if tags:
        after_commit(invalidate_now, *sorted(set(tags)))


def invalidate_now(*tags: str) -> None:
    """Replace the tokens of `tags` at once; a cache failure is logged, never raised."""
    try:
        _cache().set_many({DEP_PREFIX + tag: _new_token() for tag in tags}, timeout=None)
    except CACHE_ERRORS:
        # The pages age out with PAGE_CACHE_TIMEOUT; nothing else can be done from here.
        logger.exception("pagecache.invalidate_failed", tags=list(tags))


def _new_token() -> str:
    # When it was made, then randomness: a render that started before an invalidation
    # can tell that its page may already be out of date (see _store).
    return f"{time.time_ns()}-{secrets.token_hex(6)}"


def _made_after(token: str, moment_ns: int) -> bool:
    made, _, _ = token.partition("-")
    return not made.isdigit() or int(made) > moment_ns


def _is_anonymous(request: HttpRequest) -> bool:
    if "Authorization" in request.headers:  # a token (the mobile app): the answer may be personal
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies:
        return False
    return not any(name in cookies for name in PERSONAL_COOKIES)


def _page_key(request: HttpRequest) -> str:
    # Everything the page varies on: the address with its query, and whether htmx asks for
    # a partial (a boosted navigation and a history restore get the whole page).
    parts = [
        request.scheme or "",
        request.get_host(),  # absolute addresses (feeds, canonical links) name the host
        request.get_full_path(),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Boosted", ""),
        request.headers.get("HX-History-Restore-Request", ""),
        request.headers.get("HX-Target", ""),
    ]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def _fresh(entry: Entry) -> bool:
    keys = [DEP_PREFIX + tag for tag in entry["deps"]]
    current = _cache().get_many(keys)
    return all(current.get(DEP_PREFIX + tag) == token for tag, token in entry["deps"].items())


class _Copy:
    """A page this process served lately, with how to check its tokens in one read."""

    __slots__ = ("entry", "expected", "keys", "members", "packed", "size")

    def __init__(self, entry: Entry, keys: list[str], expected: list[Any]) -> None:
        self.entry = entry
        self.keys = keys  # the tokens' keys as the backend names them (prefix, version)
        self.expected = expected  # the tokens as the backend returns them raw
        # The MGET of those keys as the connection sends it, packed on first use: packing
        # thirty keys costs more than the round trip, and they never change for this copy.
        self.packed: list[bytes] | None = None
        self.size = len(entry["body"]) + len(entry.get("gzip", b""))
        # Signed-in answers made from this copy (apps.accounts.replay): they go with it.
        self.members: dict[Any, Any] = {}


class _LocalPages:
    """The pages this process served lately, so a hit reads only their tokens from the cache.

    A page of 190 KB costs more to fetch and unpickle than everything else a hit does; its
    tokens are a few bytes each. So each worker keeps the entries it served (least recently
    used out first, at most PAGE_CACHE_LOCAL_BYTES of bodies) and, for every request, asks
    the cache only whether the tokens it recorded are still current: one MGET on Redis. A
    copy is never served on its own say: freshness is always the shared tokens', so an
    invalidation in any process is seen by every other at once.
    """

    def __init__(self) -> None:
        self._copies: OrderedDict[str, _Copy] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> _Copy | None:
        with self._lock:
            copy = self._copies.get(key)
            if copy is not None:
                self._copies.move_to_end(key)
            return copy

    def peek(self, key: str) -> _Copy | None:
        """The copy held for `key`, without counting it as used (no lock: one dict read)."""
        return self._copies.get(key)

    def put(self, key: str, entry: Entry) -> None:
        limit = settings.PAGE_CACHE_LOCAL_BYTES
        cache = _cache()
        keys = [cache.make_and_validate_key(DEP_PREFIX + tag) for tag in entry["deps"]]
        copy = _Copy(entry, keys, [_raw(cache, token) for token in entry["deps"].values()])
        if copy.size > limit // 4:
            return  # one page must not push out everything else
        with self._lock:
            if (previous := self._copies.pop(key, None)) is not None:
                self._bytes -= previous.size
            self._copies[key] = copy
            self._bytes += copy.size
            while self._bytes > limit:
                _, dropped = self._copies.popitem(last=False)
                self._bytes -= dropped.size

    def drop(self, key: str) -> None:
        with self._lock:
            if (copy := self._copies.pop(key, None)) is not None:
                self._bytes -= copy.size

    def clear(self) -> None:
        with self._lock:
            self._copies.clear()
            self._bytes = 0


_local = _LocalPages()


def _raw(cache: BaseCache, token: str) -> Any:
    if isinstance(cache, RedisCache):
        # What MGET returns for it (Django's RedisCacheClient, private but stable since 4.0).
        return cache._cache._serializer.dumps(token)  # type: ignore[attr-defined]
    return token


def _copy_fresh(copy: _Copy) -> bool:
    """Whether every token the copy recorded is still current: one read of the cache."""
    cache = _cache()
    if isinstance(cache, RedisCache):
        return _copy_fresh_with(copy, ())[0]
    return _fresh(copy.entry)


def _copy_fresh_with(
    copy: _Copy, extra: Sequence[tuple[str | int, ...]]
) -> tuple[bool, list[object]]:
    """_copy_fresh on Redis, with `extra` commands sent in the same round trip.

    Returns the freshness and the replies to `extra`, in order. Raises what redis-py
    raises (an error reply included); the connection is then dropped, never reused with
    a reply half read.
    """
    cache = _cache()
    if not isinstance(cache, RedisCache):
        raise TypeError("_copy_fresh_with needs the cache on Redis")
    # The raw connection: Django's get_many validates and unpickles key by key, and
    # redis-py packs the thirty keys anew each time; this copy's MGET is packed once.
    with redis_client(cache, write=bool(extra)) as client:
        pool = client.connection_pool
        connection = pool.get_connection()
        try:
            if copy.packed is None:
                copy.packed = connection.pack_command("MGET", *copy.keys)
            # One write: redis-py sends each chunk of a list with its own sendall.
            packed = (
                [b"".join([*copy.packed, *connection.pack_commands(extra)])]
                if extra
                else copy.packed
            )
            connection.send_packed_command(packed, check_health=False)
            current = connection.read_response()
            replies = [connection.read_response() for _ in extra]
        except BaseException:
            connection.disconnect()  # a reply half-read must not reach the next caller
            raise
        finally:
            pool.release(connection)
    return bool(current == copy.expected), replies


def _batch(
    copies: Sequence[_Copy], keys: Sequence[str], *, write: bool
) -> tuple[list[bool], list[Any]]:
    """Each copy's freshness and the raw values of `keys`: their MGETs in one write.

    `keys` are the backend's own (made with make_and_validate_key); none, no extra MGET.
    `write` reads the primary. Raises what redis-py raises; the connection is then dropped,
    never reused with a reply half read.
    """
    cache = _cache()
    if not isinstance(cache, RedisCache):
        raise TypeError("the page cache's batched checks need the cache on Redis")
    with redis_client(cache, write=write) as client:
        pool = client.connection_pool
        connection = pool.get_connection()
        try:
            for copy in copies:
                if copy.packed is None:
                    copy.packed = connection.pack_command("MGET", *copy.keys)
            chunks = [chunk for copy in copies for chunk in copy.packed or ()]
            if keys:
                chunks.extend(connection.pack_command("MGET", *keys))
            connection.send_packed_command([b"".join(chunks)], check_health=False)
            current = [connection.read_response() for _ in copies]
            values = list(connection.read_response()) if keys else []
        except BaseException:
            connection.disconnect()
            raise
        finally:
            pool.release(connection)
    return [tokens == copy.expected for tokens, copy in zip(current, copies, strict=True)], values


def _copies_fresh(copies: Sequence[_Copy]) -> list[bool]:
    """_copy_fresh for several copies on Redis: their MGETs in one write, one round trip."""
    return _batch(copies, (), write=False)[0]


def wire(cache: BaseCache, value: Any) -> Any:
    """`value` as a raw MGET returns it from the Redis cache (None for a missing key)."""
    if value is None:
        return None
    packed = cache._cache._serializer.dumps(value)  # type: ignore[attr-defined]
    return str(packed).encode() if isinstance(packed, int) else packed


def copies_fresh_and(copies: Sequence[_Copy], keys: Sequence[str]) -> tuple[bool, list[Any]]:
    """Whether every copy is fresh, and the raw values of `keys`: one round trip to the primary.

    On the primary, not a replica: a signed-in answer must see a sign-out at once. `keys` are
    the backend's own (made with make_and_validate_key). Raises what redis-py raises.
    """
    fresh, values = _batch(copies, keys, write=True)
    return all(fresh), values


# Where prefetch() leaves, on the request, what it learnt: key -> (copy, fresh).
_CHECKED = "_pagecache_checked"


def prefetch(request: HttpRequest, keys: Iterable[str]) -> None:
    """Check this process's copies of `keys` in one round trip, for this request's lookups.

    A signed-in page is the stored page plus a kept fragment per personal region: checked
    one by one, that is a round trip to Redis each. stored_page() and fragment() in this
    request then use the answer (for the same copy) instead of asking again. Without Redis
    or a local copy nothing is done; a failure is left for those lookups to meet.
    """
    if settings.PAGE_CACHE_LOCAL_BYTES <= 0 or not isinstance(_cache(), RedisCache):
        return
    found = [(key, copy) for key in keys if (copy := _local.get(key)) is not None]
    if len(found) < 2:
        return  # one copy: the lookup's own MGET is the same single round trip
    try:
        answers = _copies_fresh([copy for _, copy in found])
    except CACHE_ERRORS:
        return
    checked = request.__dict__.setdefault(_CHECKED, {})
    for (key, copy), fresh in zip(found, answers, strict=True):
        checked[key] = (copy, fresh)


def fragment_key(key: str) -> str:
    """The page-cache key under which fragment(request, key, …) keeps its HTML."""
    return "fragment:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def page_key(request: HttpRequest) -> str:
    """The page-cache key of the page this request asks for (as an anonymous reader)."""
    return _page_key(request)


def _lookup(key: str, request: HttpRequest | None = None) -> tuple[Entry | None, bool]:
    """The page stored for `key` and whether it is fresh.

    This process's copy when its tokens are still current, else the cache's (which another
    process may have stored anew). Raises what a broken cache raises.
    """
    local = settings.PAGE_CACHE_LOCAL_BYTES > 0
    if local and (copy := _local.get(key)) is not None:
        checked = request.__dict__.get(_CHECKED, {}).get(key) if request is not None else None
        if checked is not None and checked[0] is copy:
            fresh = bool(checked[1])
        else:
            fresh = _copy_fresh(copy)
        if fresh:
            return copy.entry, True
        _local.drop(key)
    entry: Entry | None = _cache().get(PAGE_PREFIX + key)
    if entry is None or not _fresh(entry):
        return entry, False
    if local:
        _local.put(key, entry)
    return entry, True


def _current_tokens(tags: Iterable[str], *, rendered_from_ns: int) -> dict[str, str] | None:
    """The tokens to store a page with; None when one changed after its render began."""
    wanted = sorted(set(tags))
    found = _cache().get_many([DEP_PREFIX + tag for tag in wanted])
    tokens: dict[str, str] = {}
    for tag in wanted:
        token = found.get(DEP_PREFIX + tag)
        if token is None:
            token = _new_token()
            # add, not set: a token set by a concurrent invalidation must win.
            if not _cache().add(DEP_PREFIX + tag, token, timeout=None):
                token = _cache().get(DEP_PREFIX + tag) or ""
                if not token or _made_after(token, rendered_from_ns):
                    return None
        elif _made_after(token, rendered_from_ns):
            # Invalidated while this page was rendering: it may show the old state.
            return None
        tokens[tag] = token
    return tokens


def _storable(response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    control = response.get("Cache-Control", "")
    return "private" not in control and "no-store" not in control


def _public_headers(response: HttpResponse, etag: str) -> None:
    response["ETag"] = etag
    # Browsers revalidate every time (a 304 is cheap); nginx may keep it a few seconds and
    # serve it stale while it asks again (infrastructure/nginx).
    response["Cache-Control"] = (
        f"public, max-age=0, s-maxage={settings.PAGE_CACHE_SHARED_MAX_AGE}, "
        f"stale-while-revalidate={settings.PAGE_CACHE_STALE_WHILE_REVALIDATE}"
    )
    patch_vary_headers(response, ["Cookie", "HX-Request"])


def _from_entry(request: HttpRequest, entry: Entry, state: str) -> HttpResponse:
    packed = entry.get("gzip")
    zipped = packed is not None and accepts_gzip(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    etag = gzip_etag(entry["etag"]) if zipped else entry["etag"]
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        body = packed if zipped and packed is not None else entry["body"]
        response = HttpResponse(body, status=entry["status"])
        for name, value in entry["headers"].items():
            response[name] = value
        response["Content-Length"] = str(len(body))
        if zipped:
            response["Content-Encoding"] = "gzip"
    _public_headers(response, etag)
    if packed is not None:
        patch_vary_headers(response, ["Accept-Encoding"])
    response["X-Page-Cache"] = state
    return response


def _render(
    view: View, request: HttpRequest, args: Any, kwargs: Any
) -> tuple[HttpResponse, set[str]]:
    deps: set[str] = {SITE}
    request._page_deps = deps  # type: ignore[attr-defined]  # read by depend_on
    try:
        response = view(request, *args, **kwargs)
    finally:
        del request._page_deps  # type: ignore[attr-defined]
    return response, deps


def _store(key: str, response: HttpResponse, deps: set[str], *, started_ns: int) -> Entry | None:
    """Store the page unless something it shows was invalidated while it rendered."""
    tokens = _current_tokens(deps, rendered_from_ns=started_ns)
    if tokens is None:
        return None
    body = response.content
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {
        name: value
        for name, value in response.items()
        if name.lower() not in FRESH_HEADERS and not name.lower().startswith("access-control-")
    }
    entry: Entry = {
        "body": body,
        "status": response.status_code,
        "headers": headers,
        "etag": etag,
        "deps": tokens,
    }
    if (packed := _gzipped(body, headers)) is not None:
        entry["gzip"] = packed
    _cache().set(PAGE_PREFIX + key, entry, timeout=settings.PAGE_CACHE_TIMEOUT)
    if settings.PAGE_CACHE_LOCAL_BYTES:
        _local.put(key, entry)
    return entry


def _wait_for(key: str) -> Entry | None:
    """Another reader is rendering this page for the first time: wait briefly for it."""
    deadline = time.monotonic() + settings.PAGE_CACHE_LOCK_WAIT
    while time.monotonic() < deadline:
        time.sleep(0.05)
        entry: Entry | None = _cache().get(PAGE_PREFIX + key)
        if entry is not None and _fresh(entry):
            return entry
    return None


def _release(key: str) -> None:
    try:
        _cache().delete(LOCK_PREFIX + key)
    except CACHE_ERRORS:
        logger.warning("pagecache.unlock_failed")  # it expires by itself


class _Pending:
    """A page the middleware could not serve: what the cached view renders and stores."""

    __slots__ = ("deps", "entry", "key", "locked", "started_ns")

    def __init__(self, key: str, entry: Entry | None) -> None:
        self.key = key
        self.entry = entry  # the previous version, stale, if any
        self.locked = False
        self.started_ns = 0
        self.deps: set[str] | None = None  # set once a cached view rendered


def _eligible(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_ENABLED and request.method in {"GET", "HEAD"} and _is_anonymous(request)
    )


def _through_cache(request: HttpRequest, respond: Callable[[], HttpResponse]) -> HttpResponse:
    """Serve a stored page, or let `respond` run (a cached view renders) and store the result."""
    if not cache_available(_cache()):
        # Redis is down (the cache logged it once): every page from the database.
        request._page_cache = None  # type: ignore[attr-defined]  # the view must not try again
        return respond()
    key = _page_key(request)
    try:
        entry, fresh = _lookup(key)
        if fresh and entry is not None:
            if (copy := _local.peek(key)) is not None and copy.entry is entry:
                # Read by apps.core.replay: the next identical request may skip Django.
                request.META[REPLAY_MARKER] = (key, copy)
            return _from_entry(request, entry, "hit")
    except CACHE_ERRORS:
        logger.warning("pagecache.unavailable", path=request.path)
        request._page_cache = None  # type: ignore[attr-defined]  # the view must not try again
        return respond()
    pending = _Pending(key, entry)
    request._page_cache = pending  # type: ignore[attr-defined]  # read by cached_for_readers
    try:
        response = respond()
        if pending.deps is not None and pending.locked and _storable(response):
            try:
                # Rendered from a replica, the page may show rows as old as its lag.
                started_ns = pending.started_ns - getattr(request, "replica_staleness_ns", 0)
                stored = _store(key, response, pending.deps, started_ns=started_ns)
            except CACHE_ERRORS:
                logger.warning("pagecache.store_failed", path=request.path)
                stored = None
            if stored is not None:
                _public_headers(response, stored["etag"])
                response["X-Page-Cache"] = "miss"
    finally:
        if pending.locked:
            _release(key)
    return response


class PageCacheMiddleware:
    """Answers anonymous readers from the page cache before the rest of the stack runs.

    It sits just inside the security, static-file and API middleware, so a stored page costs
    no session, user, CSRF or URL-resolving work: two cache reads (the page and its tokens).
    On a miss the request goes on; if a `cached_for_readers` view renders it, the response
    is stored here, on its way out, with the headers the inner middleware added (CSP,
    framing, Vary), so a hit is the same response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _eligible(request):
            return self.get_response(request)
        return _through_cache(request, lambda: self.get_response(request))


def _render_for_cache(
    view: View, request: HttpRequest, pending: _Pending, args: Any, kwargs: Any
) -> HttpResponse:
    try:
        locked = bool(
            _cache().add(LOCK_PREFIX + pending.key, 1, timeout=settings.PAGE_CACHE_LOCK_TIMEOUT)
        )
        if not locked:
            # Someone is rendering it: the previous version will do for a moment.
            if pending.entry is not None:
                return _from_entry(request, pending.entry, "stale")
            if (ready := _wait_for(pending.key)) is not None:
                return _from_entry(request, ready, "hit")
    except CACHE_ERRORS:
        logger.warning("pagecache.unavailable", path=request.path)
        return view(request, *args, **kwargs)
    pending.locked = locked
    pending.started_ns = time.time_ns()
    response, pending.deps = _render(view, request, args, kwargs)
    return response


def cached_for_readers(view: View) -> View:
    """Serve `view` from the page cache to anonymous readers (GET and HEAD only).

    With PageCacheMiddleware in front (the settings have it), hits never reach the view;
    without it (a view called directly), the decorator does the middleware's part too.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pending = getattr(request, "_page_cache", _ABSENT)
        if pending is _ABSENT and _eligible(request):
            return _through_cache(request, lambda: wrapper(request, *args, **kwargs))
        if not isinstance(pending, _Pending) or not settings.PAGE_CACHE_ENABLED:
            return view(request, *args, **kwargs)
        return _render_for_cache(view, request, pending, args, kwargs)

    # Read by apps.core.personal (functools.wraps carries it through outer decorators).
    wrapper.cached_for_readers = True  # type: ignore[attr-defined]
    return wrapper


def fragment(request: HttpRequest, key: str, render: Callable[[], str | None]) -> str | None:
    """A piece of HTML kept under `key` while the tags it declared stay current, or rendered.

    `render` declares what it shows with `depend_on(request, …)` as a cached view does, and
    returns the HTML, or None for "do not keep this" (returned as is). The same tokens and
    per-process copies as pages: a kept fragment costs one MGET of its tokens. A cache that
    is down renders every time.
    """
    kept_key = fragment_key(key)
    try:
        entry, fresh = _lookup(kept_key, request)
        if fresh and entry is not None:
            return entry["body"].decode()
    except CACHE_ERRORS:
        logger.warning("pagecache.unavailable", path=request.path)
        return render()
    started_ns = time.time_ns() - read_staleness_ns()
    deps: set[str] = {SITE}
    outer = getattr(request, "_page_deps", None)
    request._page_deps = deps  # type: ignore[attr-defined]  # read by depend_on
    try:
        html = render()
    finally:
        if outer is None:
            del request._page_deps  # type: ignore[attr-defined]
        else:
            request._page_deps = outer  # type: ignore[attr-defined]
    if html is None:
        return None
    try:
        tokens = _current_tokens(deps, rendered_from_ns=started_ns)
        if tokens is not None:
            stored: Entry = {
                "body": html.encode(),
                "status": 200,
                "headers": {},
                "etag": "",
                "deps": tokens,
            }
            _cache().set(PAGE_PREFIX + kept_key, stored, timeout=settings.PAGE_CACHE_TIMEOUT)
            if settings.PAGE_CACHE_LOCAL_BYTES:
                _local.put(kept_key, stored)
    except CACHE_ERRORS:
        logger.warning("pagecache.store_failed", path=request.path)
    return html


def stored_page(request: HttpRequest, key: str | None = None) -> Entry | None:
    """The fresh page stored for this address (as an anonymous reader gets it), if any.

    `key` is `page_key(request)` when the caller has it already."""
    try:
        entry, fresh = _lookup(key or _page_key(request), request)
        if fresh:
            return entry
    except CACHE_ERRORS:
        logger.warning("pagecache.unavailable", path=request.path)
    return None


_ABSENT = object()
