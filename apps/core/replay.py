"""The page cache's first tier: a stored page answered before Django runs at all.

A cache hit inside Django still pays for the request object, a dozen middleware layers and
the request signals: about three quarters of what a hit cost, for an answer that is the
same bytes every time. So the WSGI application is wrapped (project/wsgi.py): when Django
has answered an anonymous GET with a page from this process's copies (`X-Page-Cache: hit`),
the wrapper remembers the answer, status and headers exactly as they left the middleware
(security headers, CSP, Vary, ETag), under everything the request could vary on as it
arrived: scheme and proxy headers, host, path, query, the htmx headers and whether the
browser takes gzip. The next identical request is answered from that record, with a
request id of its own, after the same freshness check as any hit: one MGET of the page's
dependency tokens. So an invalidation by any process is seen at once here too, and the
record is dropped with the copy it replays.

Only what cannot differ between two such requests is replayed. Anything else goes through
Django as before: another method, a session or flash-message cookie, an Authorization
header, a conditional request (If-None-Match), a cache that is down or failing. The API's
anonymous reads are replayed too, each counted against its client's rate limit as the
API's middleware counts it (a refused one goes on to Django, counted once). The access
log line and the request counters are written as the middleware writes them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import structlog
from django.conf import settings
from django_prometheus.middleware import Metrics

from apps.core import pagecache
from apps.core.cache import cache_available
from apps.core.http import client_ip_from_meta
from apps.core.logging import RedactingFormatter, redact
from apps.core.middleware import REQUEST_ID_HEADER, valid_request_id
from apps.core.ratelimit import (
    API_USAGE_MARKER,
    Usage,
    api_anonymous_pending,
    api_anonymous_usage,
)

logger = structlog.get_logger("inkwell.request")
_stdlib_logger = logging.getLogger("inkwell.request")

# Set in request.META (the WSGI environ itself) by the page cache when it served a copy.
MARKER = pagecache.REPLAY_MARKER
# Records kept per process: each refers to a copy the page cache holds (bodies are not
# duplicated), so this bounds only the small part, the headers.
LIMIT = 4096
# Never stored pages. (The API's anonymous reads are replayed: each is still counted
# against its client's rate limit here, and announced with its own RateLimit-* headers.)
_EXCLUDED_PREFIXES = ("/static/", "/media/", "/ws/", "/metrics")
_API_PREFIX = "/api/"
# Made anew for each answer: never part of a record.
_PER_ANSWER = frozenset(
    {"x-request-id", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"}
)
VARY_HEADERS = (
    "HTTP_HX_REQUEST",
    "HTTP_HX_BOOSTED",
    "HTTP_HX_HISTORY_RESTORE_REQUEST",
    "HTTP_HX_TARGET",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_ORIGIN",  # CORS answers name the origin (the API)
)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
RawKey = tuple[Any, ...]


class _Record:
    __slots__ = ("body", "copy", "headers", "key", "status")

    def __init__(
        self, key: str, copy: Any, status: str, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        self.key = key  # the page cache's key of the copy
        self.copy = copy
        self.status = status
        self.headers = headers
        self.body = body


_records: dict[RawKey, _Record] = {}
_NO_LOCK = contextlib.nullcontext()
_RECORD_FOR_ERRORS = logging.LogRecord(
    "inkwell.request", logging.INFO, __file__, 0, "request (replayed page)", None, None
)


def _proxy_meta() -> str:
    header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    return header[0] if header else ""


def raw_key(environ: Environ) -> RawKey | None:
    """What the request could vary on, as it arrived; None when it must not be replayed."""
    if environ.get("REQUEST_METHOD") != "GET" or not settings.PAGE_CACHE_ENABLED:
        return None
    if "HTTP_AUTHORIZATION" in environ or "HTTP_IF_NONE_MATCH" in environ:
        return None
    path = environ.get("PATH_INFO", "")
    if path.startswith(_EXCLUDED_PREFIXES):
        return None
    cookies = environ.get("HTTP_COOKIE", "")
    if cookies and any(
        name + "=" in cookies
        for name in (settings.SESSION_COOKIE_NAME, *pagecache.PERSONAL_COOKIES)
    ):
        return None  # perhaps signed in, or a message to show: Django decides
    return (
        *request_parts(environ, VARY_HEADERS),
        pagecache.accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")),
    )


def request_parts(environ: Environ, headers: Iterable[str]) -> RawKey:
    """What any answer could vary on as the request arrived: scheme and proxy header,
    host, the server's name and port, path and query, and the `headers` given."""
    return (
        environ.get("wsgi.url_scheme", ""),
        environ.get(_proxy_meta(), "") if _proxy_meta() else "",
        environ.get("HTTP_HOST", ""),
        environ.get("SERVER_NAME", ""),
        environ.get("SERVER_PORT", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        *(environ.get(name, "") for name in headers),
    )


def _remember(key: RawKey, environ: Environ, status: str, headers: list[tuple[str, str]]) -> None:
    marked = environ.get(MARKER)
    if marked is None or not status.startswith("200"):
        return
    page_key, copy = marked
    if any(name.lower() == "set-cookie" for name, _ in headers):
        return  # never replay a cookie (a hit sets none; this is the belt to those braces)
    kept = [
        (name, "replay" if name.lower() == "x-page-cache" else value)
        for name, value in headers
        if name.lower() not in _PER_ANSWER
    ]
    zipped = any(name.lower() == "content-encoding" and value == "gzip" for name, value in kept)
    body = copy.entry.get("gzip") if zipped else copy.entry["body"]
    if body is None:
        return
    if len(_records) >= LIMIT and key not in _records:
        try:
            _records.pop(next(iter(_records)))  # the oldest: dicts keep insertion order
        except (StopIteration, KeyError, RuntimeError):
            return  # another thread got there first
    _records[key] = _Record(page_key, copy, status, kept, body)


def _answer(record: _Record, environ: Environ, start_response: StartResponse) -> list[bytes] | None:
    """The recorded answer if its page is still current, else None (Django answers)."""
    started = time.perf_counter()
    cache = pagecache._cache()
    if pagecache._local.peek(record.key) is not record.copy or not cache_available(cache):
        return None
    path = environ.get("PATH_INFO", "")
    api = path.startswith(_API_PREFIX)
    usage: Usage | None = None
    try:
        # An API read on Redis: the rate limit's hit rides with the freshness check, one
        # round trip for both.
        pending = api_anonymous_pending(client_ip_from_meta(environ)) if api else None
        if pending is not None:
            fresh, replies = pagecache._copy_fresh_with(record.copy, pending.commands())
            usage = pending.usage(replies)
        else:
            fresh = pagecache._copy_fresh(record.copy)
    except pagecache.CACHE_ERRORS:
        return None  # Django's page cache logs it and serves from the database
    if api and usage is None and fresh:
        usage = api_anonymous_usage(client_ip_from_meta(environ))
    if usage is not None and (not fresh or not usage.allowed):
        environ[API_USAGE_MARKER] = usage  # counted: Django answers without counting again
        return None
    if not fresh:
        return None
    headers = [*record.headers]
    if usage is not None:
        headers.extend(usage.headers().items())
    start_replayed(environ, start_response, record.status, headers, started, state="replay")
    return [record.body]


def start_replayed(
    environ: Environ,
    start_response: StartResponse,
    status: str,
    headers: list[tuple[str, str]],
    started: float,
    *,
    state: str,
) -> None:
    """Start a replayed answer as the middleware would: a request id of its own (or the
    caller's valid one), the request counters and the access log line (`page_cache: state`)."""
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    request_id = incoming if valid_request_id(incoming) else uuid.uuid4().hex
    headers.append((REQUEST_ID_HEADER, request_id))
    metrics = Metrics.get_instance()
    metrics.requests_total.inc()
    start_response(status, headers)
    metrics.responses_total.inc()
    metrics.requests_latency_before.observe(time.perf_counter() - started)
    _access_log(environ.get("PATH_INFO", ""), request_id, started, state=state)


def _plain_json_handlers() -> tuple[logging.StreamHandler[Any], ...] | None:
    """The handlers of the access log line when they are the stock JSON ones, else None.

    Then the line is written as they would write it, without structlog's processor chain
    and a LogRecord: that chain cost as much as the rest of a replayed answer. Any other
    set-up (console format, tracing on, a handler or filter of an operator's) gets the
    line through logging as usual.
    """
    if settings.LOG_FORMAT != "json" or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return None
    chain: list[logging.Logger] = []
    current: logging.Logger | None = _stdlib_logger
    while current is not None:
        if current.filters or (current.handlers and current is not logging.getLogger()):
            return None
        chain.append(current)
        current = current.parent if current.propagate else None
    handlers = logging.getLogger().handlers
    if not handlers or not all(
        type(handler) is logging.StreamHandler
        and isinstance(handler.formatter, RedactingFormatter)
        and not handler.filters
        for handler in handlers
    ):
        return None
    return tuple(handlers)  # type: ignore[arg-type]


def _access_log(path: str, request_id: str, started: float, *, state: str = "replay") -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    handlers = _plain_json_handlers()
    if handlers is None:
        logger.info(
            "request",
            method="GET",
            path=path,
            status=200,
            duration_ms=duration_ms,
            request_id=request_id,
            page_cache=state,
        )
        return
    if not _stdlib_logger.isEnabledFor(logging.INFO):
        return
    line = redact(
        json.dumps(
            {
                "method": "GET",
                "path": path,
                "status": 200,
                "duration_ms": duration_ms,
                "page_cache": state,
                "event": "request",
                "request_id": request_id,
                "level": "info",
                "logger": "inkwell.request",
                "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
        )
    )
    for handler in handlers:
        if handler.level > logging.INFO:
            continue
        with handler.lock or _NO_LOCK:
            try:
                handler.stream.write(line + handler.terminator)
                handler.flush()
            except (OSError, ValueError):
                handler.handleError(_RECORD_FOR_ERRORS)


def forget() -> None:
    """Drop every record (tests; the page cache's copies were cleared)."""
    _records.clear()


def replaying(
    application: WSGIApp,
    *,
    raw_key: Callable[[Environ], RawKey | None],
    find: Callable[[RawKey], Any],
    answer: Callable[[Any, Environ, StartResponse], list[bytes] | None],
    forget: Callable[[RawKey], object],
    remember: Callable[[RawKey, Environ, str, list[tuple[str, str]]], None],
) -> WSGIApp:
    """Wrap `application` with a replay tier: answer a request from its record when
    `answer` can (None: not current, the record is forgotten), else let the application
    answer and offer what it started to `remember` (apps.accounts.replay uses it too)."""

    def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        key = raw_key(environ)
        if key is None:
            return application(environ, start_response)
        record = find(key)
        if record is not None:
            answered = answer(record, environ, start_response)
            if answered is not None:
                return answered
            forget(key)

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info is None:
                remember(key, environ, status, headers)
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        return application(environ, capture)

    return wrapped


def serve_stored_pages(application: WSGIApp) -> WSGIApp:
    """Wrap the WSGI application so that repeated anonymous hits skip Django."""
    return replaying(
        application,
        raw_key=raw_key,
        find=_records.get,
        answer=_answer,
        forget=lambda key: _records.pop(key, None),
        remember=_remember,
    )
