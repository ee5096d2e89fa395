"""Request id and access log, written to run natively under both WSGI and ASGI.

A sync-only middleware costs a thread hop per request under ASGI
(stack-notes, trap 16), so this one is sync- and async-capable.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from apps.core.errors import error_response, is_api_request
from apps.core.languages import request_language

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a proxy's id only if it looks like one: it ends up in every log line.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

logger = structlog.get_logger("inkwell.request")


def valid_request_id(value: str) -> bool:
    return _VALID_ID.match(value) is not None


def _request_id(request: HttpRequest) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if valid_request_id(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Bind a request id to every log line and echo it in the response header."""

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

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        started = self._start(request)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)  # noqa: S101 (sync chain)
        return self._finish(request, response, started)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        started = self._start(request)
        response = await self.get_response(request)  # type: ignore[misc]
        return self._finish(request, response, started)

    def _start(self, request: HttpRequest) -> float:
        request_id = _request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        return time.perf_counter()

    def _finish(
        self, request: HttpRequest, response: HttpResponseBase, started: float
    ) -> HttpResponseBase:
        response[REQUEST_ID_HEADER] = request.request_id  # type: ignore[attr-defined]
        if not request.path.startswith(("/static/", "/healthz", "/readyz", "/metrics")):
            logger.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
        structlog.contextvars.clear_contextvars()
        return response


class ServiceUnavailableMiddleware:
    """Answer 503 with `Retry-After` and a one-line log when the database or Redis is down.

    An outage of a backing service is not a bug in the page: a stack trace per request
    would bury the one line an operator needs, and a 500 tells a client not to retry.

    Listed near the top of MIDDLEWARE, but a middleware only ever sees the exceptions of
    the view (`process_exception`): Django turns an exception into a response at every
    middleware layer, so one raised by another middleware (sessions, the API's limiter)
    reaches `handler500` instead, which answers the same way (`apps.core.views.server_error`
    calls `outage_response`), and `OutageLogFilter` drops Django's own traceback for it.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return outage_response(request, exception)


# Seconds a client should wait before trying again (most outages are a restart or failover).
RETRY_AFTER = "30"


def outage_response(request: HttpRequest, exception: BaseException | None) -> HttpResponse | None:
    """The 503 for an exception that says a backing service is down, else None.

    JSON in the API's error envelope under /api/, the "We'll be right back" page elsewhere;
    rendered without the request, so no context processor touches the failing service.
    """
    part = unavailable_part(exception) if exception is not None else None
    if part is None:
        return None
    logger.error(
        "backing service unavailable",
        part=part,
        error=f"{type(exception).__name__}: {exception}".strip()[:300],
        path=request.path,
    )
    headers = {"Retry-After": RETRY_AFTER}
    # In the page's language even when a middleware failed before the language was chosen.
    with translation.override(request_language(request)):
        if request.path_info.startswith("/api/"):
            # The API's error envelope (apps.api.errors, which core may not import).
            error = {
                "code": "service_unavailable",
                "message": gettext("The service is unavailable for a moment. Try again shortly."),
                "fields": None,
            }
            return HttpResponse(
                json.dumps({"error": error}),
                status=503,
                content_type="application/json",
                headers=headers,
            )
        body = render_to_string("503.html", {"part": part})
        language = translation.get_language()
    response = HttpResponse(body, status=503, headers=headers)
    response["Content-Language"] = language
    return response


def unavailable_part(exception: BaseException) -> str | None:
    """Name the backing service an exception says is down, or None for other errors."""
    from django.db import InterfaceError, OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    if isinstance(exception, OperationalError | InterfaceError):
        return "database"
    if isinstance(exception, RedisConnectionError | RedisTimeoutError):
        return "cache"
    return None


class OneThreadHopMiddleware:
    """Listed last: makes Django run the whole middleware chain in one thread under ASGI.

    Django's own middleware (sessions, CSRF, auth, messages, …) is "async-capable"
    through MiddlewareMixin, which wraps each process_request and process_response
    in its own sync_to_async call: two thread hops per middleware per request.
    Being sync-only, this marker makes Django adapt once at the edge of the chain
    instead. Measured with wrk on 2 cores, one uvicorn process: /healthz went
    from 125 to 320 requests/s. WSGI is unaffected.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)


# --- Hostile input ---------------------------------------------------------------------------

# A NUL in JSON is written `\u0000`; an even run of backslashes before it escapes the
# backslash instead (`\\u0000` is the six characters `\u0000`, which are harmless).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FORM = "application/x-www-form-urlencoded"


def _has_nul(values: Any) -> bool:
    return any("\x00" in value for value in values)


def _body_has_nul(request: HttpRequest) -> bool:
    """Look for a NUL in a form-encoded or JSON body the site would read anyway.

    Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE are left alone: Django (and the API's body
    limit) refuse them later. Multipart bodies carry files, where NUL bytes are ordinary,
    so only their text fields are looked at, and only once the view asks for them
    (forms reject a NUL there: Django's form fields refuse it).
    """
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return False
    content_type = request.content_type or ""
    is_form = content_type == _FORM
    if not is_form and not content_type.endswith("json"):
        return False
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return False
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= 0 or (limit is not None and length > limit):
        return False
    body = request.body
    if b"\x00" in body:
        return True
    if is_form:
        return b"%00" in body
    return _JSON_NUL.search(body) is not None


# What a refused NUL byte is told, by the part of the request that carried it.
_NUL_MESSAGES = {
    "path": gettext_lazy(
        "The request's path contains a NUL character (%00), which is never valid."
    ),
    "query string": gettext_lazy(
        "The request's query string contains a NUL character (%00), which is never valid."
    ),
    "cookies": gettext_lazy(
        "The request's cookies contain a NUL character (%00), which is never valid."
    ),
    "body": gettext_lazy(
        "The request's body contains a NUL character (%00), which is never valid."
    ),
}


def nul_byte_problem(request: HttpRequest) -> str | None:
    """Name the part of a request that carries a NUL character, or None if none does."""
    if "\x00" in request.path_info:
        return "path"
    if _has_nul(request.GET.keys()) or _has_nul(v for _, vs in request.GET.lists() for v in vs):
        return "query string"
    if _has_nul(request.COOKIES.values()) or _has_nul(request.COOKIES.keys()):
        return "cookies"
    if _body_has_nul(request):
        return "body"
    return None


class RejectNulMiddleware:
    """Refuse any request whose path, query string, cookies or body contains a NUL (`%00`).

    PostgreSQL cannot store or compare text with a NUL in it: a NUL that reaches a query
    raises DataError, i.e. a 500 a client can cause at will (a search, an author slug, a
    comment). No legitimate input needs one, so it is refused once, here, before sessions,
    the page cache or any view: 400 with the site's page, or the JSON envelope under /api/.
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

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        refusal = self._refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # Reading the body is a blocking read; under ASGI it is already buffered in memory.
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        return await self.get_response(request)  # type: ignore[no-any-return, misc]

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            part = nul_byte_problem(request)
        except RequestDataTooBig:
            return None  # refused with the right status further down
        if part is None:
            return None
        logger.info("refused NUL byte", part=part, path=request.path.replace("\x00", "\\x00"))
        with translation.override(request_language(request)):
            message = _NUL_MESSAGES[part]
            if is_api_request(request):
                return error_response(400, "bad_request", message)
            response = HttpResponse(render_to_string("400.html", {"message": message}), status=400)
        # The answer skips the CSP middleware further down: give it the same policy.
        response[CSP_HEADER] = build_policy()
        return response


class SecurityHeadersMiddleware:
    """Add Permissions-Policy and Cross-Origin-Resource-Policy to every response.

    Placed above whitenoise, so static files get them too; SecurityMiddleware sets the
    others (HSTS, nosniff, Referrer-Policy, COOP) and django-csp the CSP.
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
        self.headers = security_headers()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)  # noqa: S101 (sync chain)
        return self._add(response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        return self._add(await self.get_response(request))  # type: ignore[misc]

    def _add(self, response: HttpResponseBase) -> HttpResponseBase:
        for name, value in self.headers.items():
            if name not in response:  # a view may relax one for itself
                response[name] = value
        return response


def security_headers() -> dict[str, str]:
    """The header values from settings (PERMISSIONS_POLICY, CROSS_ORIGIN_RESOURCE_POLICY)."""
    headers: dict[str, str] = {}
    policy: dict[str, list[str]] = settings.PERMISSIONS_POLICY
    if policy:
        headers["Permissions-Policy"] = ", ".join(
            f"{feature}=({' '.join(allow)})" for feature, allow in policy.items()
        )
    if corp := settings.CROSS_ORIGIN_RESOURCE_POLICY:
        headers["Cross-Origin-Resource-Policy"] = corp
    return headers


class HeadMiddleware:
    """Answer HEAD like GET, without the body, wherever GET is allowed.

    Views are decorated with `require_safe` (GET and HEAD); ninja only routes the methods
    an operation names, so under /api/ a HEAD is handed to it as a GET. Servers usually
    drop a HEAD answer's body themselves; this makes sure of it whatever serves us.
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

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        if request.method != "HEAD":
            return self.get_response(request)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)  # noqa: S101 (sync chain)
        return _without_body(response)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)  # type: ignore[misc]
        return _without_body(response) if request.method == "HEAD" else response


def _without_body(response: HttpResponseBase) -> HttpResponseBase:
    if isinstance(response, HttpResponse):
        length = len(response.content)
        response.content = b""
        response["Content-Length"] = str(length)  # what a GET would send (RFC 9110 §9.3.2)
    elif isinstance(response, StreamingHttpResponse | FileResponse):
        # Not response.close(): that fires request_finished (closing the database
        # connection) while the request is still running; the server closes it later.
        response.streaming_content = []
    return response
