"""A signed-in reader's repeated page, answered before Django runs.

A member page (apps.core.personal) is the stored anonymous page with the reader's kept
regions filled in. Served by Django it still costs the whole middleware stack: the
session, the user, CSRF, OTP, allauth, messages, the URL resolver — four fifths of what a
signed-in hit cost. The answer itself is the same pieces every time but for the CSRF
token's mask. So, as apps.core.replay does for anonymous readers, the WSGI application is
wrapped (project/wsgi.py): when Django answered a signed-in GET with a member page made
wholly from this process's copies, without writing the session, the wrapper keeps the
pieces, status and headers with the page's copy. The reader's next identical request is
answered from them, with a new mask of the same CSRF secret, after one round trip to the
Redis primary that checks, all at once:

- the page's and every kept region's dependency tokens (content, the reader's account,
  role, addresses, notifications and own comments move them);
- the session's stored value, compared whole with what that answer was made from (signed
  out anywhere, another user or second factor, a flash message waiting, a new address or
  browser: it differs);
- the users table's invalidation stamps (a password, a deactivation, any write to the row).

Only a request that cannot differ from the recorded one is answered so: GET, exactly the
session and CSRF cookies (a valid secret; the switcher's language cookie may come too, and
is part of the key), the same address, browser, host, path, query and htmx headers, not
the API and not a gated (dashboard, admin) path, and not when the
session is due its "last seen" write. Anything else, a cache that is down or failing, or
a check that does not hold, goes through Django as before.
"""

from __future__ import annotations

import re
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.middleware.csrf import (  # type: ignore[attr-defined]  # private, stable since 4.1
    CSRF_SECRET_LENGTH,
    _mask_cipher_secret,
)
from django.utils.http import http_date

from apps.accounts.mfa.middleware import GATED_PREFIXES
from apps.accounts.middleware import (
    LAST_SEEN_KEY,
    LAST_SEEN_WINDOW,
    SESSION_MARKER,
    USERS_STAMPS_MARKER,
)
from apps.core import pagecache
from apps.core.cache import cache_available
from apps.core.personal import TEMPLATE_MARKER, MemberTemplate, join
from apps.core.replay import (
    VARY_HEADERS,
    Environ,
    RawKey,
    StartResponse,
    WSGIApp,
    replaying,
    request_parts,
    start_replayed,
)

# Requests remembered per process (each record lives with its page's copy, so the bodies'
# memory is the page cache's own; this bounds the index and the small parts).
LIMIT = 4096
_EXCLUDED_PREFIXES = ("/api/", "/static/", "/media/", "/ws/", "/metrics", *GATED_PREFIXES)
# Made anew for each answer: never part of a record.
_PER_ANSWER = frozenset({"x-request-id", "set-cookie", "content-length"})
_VARY_HEADERS = (
    *VARY_HEADERS,
    "HTTP_X_FORWARDED_FOR",  # the session records the client's address
    "HTTP_USER_AGENT",  # and browser: another one is a write (qsessions)
)
_SECRET = re.compile(rf"[A-Za-z0-9]{{{CSRF_SECRET_LENGTH}}}")
_SESSION_KEY = re.compile(r"[a-z0-9]{8,64}")
_EXPIRES = re.compile(r"expires=[^;]*", re.IGNORECASE)


class _Record:
    __slots__ = (
        "cookie",
        "copies",
        "expected",
        "headers",
        "keys",
        "last_seen",
        "secret",
        "segments",
        "status",
    )

    def __init__(
        self,
        template: MemberTemplate,
        status: str,
        headers: list[tuple[str, str]],
        cookie: str,
        secret: str,
        keys: list[str],
        expected: list[Any],
        last_seen: int,
    ) -> None:
        self.segments = template.segments
        self.copies = template.copies
        self.status = status
        self.headers = headers
        self.cookie = cookie  # the CSRF cookie's Set-Cookie, its expiry renewed per answer
        self.secret = secret
        self.keys = keys  # the session's and the users stamps' cache keys
        self.expected = expected  # their values as the answer saw them, raw
        self.last_seen = last_seen


# raw key -> the page-cache key of the page copy that holds the record (copy.members).
_index: dict[RawKey, str] = {}


def _cookies(environ: Environ) -> tuple[str, str, str] | None:
    """The session key, CSRF secret and chosen language (or "") when the request carries
    exactly those cookies (the language one is optional: the switcher sets it)."""
    header = environ.get("HTTP_COOKIE", "")
    if not header:
        return None
    found: dict[str, str] = {}
    for pair in header.split(";"):
        name, sep, value = pair.strip().partition("=")
        if not sep or name in found:
            return None
        found[name] = value
    session = found.pop(settings.SESSION_COOKIE_NAME, None)
    secret = found.pop(settings.CSRF_COOKIE_NAME, None)
    language = found.pop(settings.LANGUAGE_COOKIE_NAME, "")
    if found or session is None or secret is None:
        return None
    if not _SESSION_KEY.fullmatch(session) or not _SECRET.fullmatch(secret):
        return None
    return session, secret, language


def raw_key(environ: Environ) -> RawKey | None:
    """What a signed-in request could vary on, as it arrived; None when it must not be replayed."""
    if (
        environ.get("REQUEST_METHOD") != "GET"
        or not settings.PAGE_CACHE_ENABLED
        or not settings.PAGE_CACHE_MEMBERS
        or "HTTP_AUTHORIZATION" in environ
        or "HTTP_IF_NONE_MATCH" in environ
        or settings.CSRF_USE_SESSIONS
    ):
        return None
    path = environ.get("PATH_INFO", "")
    if path.startswith(_EXCLUDED_PREFIXES):
        return None
    cookies = _cookies(environ)
    if cookies is None:
        return None
    return (*cookies, environ.get("REMOTE_ADDR", ""), *request_parts(environ, _VARY_HEADERS))


def _session_cache() -> Any:
    """The cache both sessions and pages live in, on Redis; None otherwise (no replay)."""
    cache = pagecache._cache()
    if not isinstance(cache, RedisCache) or caches[settings.SESSION_CACHE_ALIAS] is not cache:
        return None
    return cache


def _remember(
    key: RawKey, environ: Environ, status: str, headers: list[tuple[str, str]], secret: str
) -> None:
    template: MemberTemplate | None = environ.get(TEMPLATE_MARKER)
    session = environ.get(SESSION_MARKER)
    stamps = environ.get(USERS_STAMPS_MARKER)
    if template is None or session is None or stamps is None or not status.startswith("200"):
        return
    cache = _session_cache()
    data = session[1]
    if cache is None or not isinstance(data, dict) or not stamps[0]:
        return
    cookie = ""
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        # Only the CSRF cookie, renewed with the same secret: a session cookie means the
        # session was written (the last-seen time, a new address), so the next answer is
        # Django's again.
        if cookie or not value.lstrip().startswith(f"{settings.CSRF_COOKIE_NAME}={secret};"):
            return
        cookie = value
    if environ.get("CSRF_COOKIE") != secret:
        return
    try:
        last_seen = int(data.get(LAST_SEEN_KEY, 0))
    except (TypeError, ValueError):
        return
    keys = [
        cache.make_and_validate_key(session[0]),
        *(cache.make_and_validate_key(name) for name in stamps[0]),
    ]
    expected = [pagecache.wire(cache, data), *(pagecache.wire(cache, v) for v in stamps[1])]
    kept = [(name, value) for name, value in headers if name.lower() not in _PER_ANSWER]
    kept = [(n, "member-replay" if n.lower() == "x-page-cache" else v) for n, v in kept]
    record = _Record(template, status, kept, cookie, secret, keys, expected, last_seen)
    page_key, page_copy = template.copies[0]
    if len(_index) >= LIMIT and key not in _index:
        try:
            oldest = next(iter(_index))
            _drop(oldest, _index.pop(oldest))
        except (StopIteration, KeyError, RuntimeError):
            return  # another thread got there first
    page_copy.members[key] = record
    _index[key] = page_key


def _drop(key: RawKey, page_key: str) -> None:
    copy = pagecache._local.peek(page_key)
    if copy is not None:
        copy.members.pop(key, None)


def _current(record: _Record) -> bool:
    """Whether Django would make the same answer now (see the module docstring)."""
    if time.time() - record.last_seen >= LAST_SEEN_WINDOW:
        return False  # the session is due its last-seen write: Django makes it
    for local_key, copy in record.copies:
        if pagecache._local.peek(local_key) is not copy:
            return False
    cache = pagecache._cache()
    if not cache_available(cache):
        return False
    try:
        fresh, values = pagecache.copies_fresh_and([copy for _, copy in record.copies], record.keys)
    except pagecache.CACHE_ERRORS:
        return False  # Django's page cache logs it and answers from the database
    return fresh and values == record.expected


def _answer(record: _Record, environ: Environ, start_response: StartResponse) -> list[bytes]:
    started = time.perf_counter()
    body = join(record.segments, _mask_cipher_secret(record.secret))
    headers = [*record.headers, ("Content-Length", str(len(body)))]
    if record.cookie:
        expires = http_date(time.time() + settings.CSRF_COOKIE_AGE)
        headers.append(("Set-Cookie", _EXPIRES.sub(f"expires={expires}", record.cookie, 1)))
    start_replayed(environ, start_response, record.status, headers, started, state="member-replay")
    return [body]


def _find(key: RawKey) -> _Record | None:
    page_key = _index.get(key)
    if page_key is None:
        return None
    copy = pagecache._local.peek(page_key)
    record: _Record | None = copy.members.get(key) if copy is not None else None
    if record is None:
        _index.pop(key, None)  # its page copy is gone: so is the record
    return record


def forget() -> None:
    """Drop every record (tests; the page cache's copies were cleared)."""
    for key, page_key in list(_index.items()):
        _drop(key, page_key)
    _index.clear()


def serve_member_pages(application: WSGIApp) -> WSGIApp:
    """Wrap the WSGI application so that a signed-in reader's repeated page skips Django."""
    return replaying(
        application,
        raw_key=raw_key,
        find=_find,
        answer=lambda record, environ, start: (
            _answer(record, environ, start) if _current(record) else None
        ),
        forget=lambda key: _drop(key, _index.pop(key, "")),
        remember=lambda key, environ, status, headers: _remember(
            key, environ, status, headers, key[1]
        ),
    )
