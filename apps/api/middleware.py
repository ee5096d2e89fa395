"""What every /api/ response shares, answered before and after ninja runs.

- body size: a request body over API_MAX_BODY_BYTES is refused (413 `payload_too_large`)
  before anything reads it;
- rate limits: per user for a correctly signed access token, else per client IP
  (apps.core.ratelimit, shared by all processes through the cache); every response
  announces `RateLimit-*`, a refused one is 429 `rate_limited` with `Retry-After`;
- conditional GET: a weak `ETag` over the body of each successful read, and 304 when
  `If-None-Match` matches;
- v1's deprecation: `Deprecation`, `Sunset` and a `Link` to v2 on every v1 response;
- django-axes: its lockout page is replaced by the envelope (429 `locked_out`);
- every other error that is not JSON yet (a 405 from ninja, a CSRF 403, Django's 500 page)
  is replaced by the envelope too (apps.core.errors.ensure_api_envelope);
- HEAD: ninja routes only the methods an operation names, so a HEAD is handed to it as
  a GET (apps.core.middleware.HeadMiddleware, above, drops the body).
- `Idempotency-Key` on writes: a retry gets the first answer (apps.api.idempotency).
- the reader's language (Accept-Language, apps.core.languages) for every message, the
  refusals made here included.

It sits high in MIDDLEWARE (just after CORS), so refused requests cost no session,
user or database work, and its headers land on every answer, errors included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from email.utils import format_datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from apps.accounts.tokens import access_token_subject
from apps.api import idempotency
from apps.api.auth import bearer_token
from apps.api.errors import error_response
from apps.core.errors import ensure_api_envelope
from apps.core.http import client_ip
from apps.core.languages import reader_language
from apps.core.ratelimit import API_USAGE_MARKER, Usage, api_anonymous_usage, hit

API_PREFIX = "/api/"
V1_PREFIX = "/api/v1/"


def _subject(request: HttpRequest) -> str | None:
    """The user id a correctly signed access token names (no query), else None."""
    if not hasattr(request, "_api_subject"):
        token = bearer_token(request)
        request._api_subject = access_token_subject(token) if token else None  # type: ignore[attr-defined]
    subject: str | None = request._api_subject  # type: ignore[attr-defined]
    return subject


def _rate_limit(request: HttpRequest) -> Usage:
    # apps.core.replay counted this request already (and found it over the limit, so
    # Django answers it): counted once, refused here.
    counted = request.META.pop(API_USAGE_MARKER, None)
    if isinstance(counted, Usage):
        return counted
    window = int(settings.API_RATE_LIMIT_WINDOW)
    subject = _subject(request)
    if subject is not None:
        return hit(f"api:user:{subject}", limit=int(settings.API_RATE_LIMIT_USER), window=window)
    return api_anonymous_usage(client_ip(request))


def _too_big(request: HttpRequest) -> bool:
    try:
        length = int(request.headers.get("content-length") or 0)
    except ValueError:
        return True
    return length > int(settings.API_MAX_BODY_BYTES)


# RFC 9745: the moment v1 was deprecated (v2's release), as a structured-field date.
V1_DEPRECATED_AT = datetime(2026, 11, 26, tzinfo=UTC)
_DEPRECATION = f"@{int(V1_DEPRECATED_AT.timestamp())}"


def _sunset() -> str:
    day = date.fromisoformat(str(settings.API_V1_SUNSET))
    moment = timezone.make_aware(datetime.combine(day, time.min), UTC)
    return format_datetime(moment, usegmt=True)


def _etag(response: HttpResponse) -> str:
    return 'W/"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    # Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not matter.
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


class ApiMiddleware:
    """Body limit, rate limits, ETags and deprecation headers for /api/ (see module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        # Refusals made here come before LanguageMiddleware: they too are in the reader's
        # language (Accept-Language), as the operations' errors are.
        with translation.override(reader_language(request)):
            return self._handle(request)

    def _handle(self, request: HttpRequest) -> HttpResponseBase:
        usage = _rate_limit(request)
        if not usage.allowed:
            response: HttpResponseBase = error_response(
                429,
                "rate_limited",
                _("Too many requests. Try again in %(seconds)s s.")
                % {"seconds": usage.retry_after},
            )
        elif _too_big(request):
            limit = int(settings.API_MAX_BODY_BYTES)
            response = error_response(
                413,
                "payload_too_large",
                _("The request body is larger than %(limit)s bytes.") % {"limit": limit},
            )
        elif idempotency.applies(request):
            response = idempotency.idempotent(request, _subject(request), self._respond)
        else:
            response = self._respond(request)
        for name, value in usage.headers().items():
            response[name] = value
        if request.path_info.startswith(V1_PREFIX):
            response["Deprecation"] = _DEPRECATION
            response["Sunset"] = _sunset()
            response["Link"] = '</api/v2/>; rel="successor-version"'
        return response

    def _respond(self, request: HttpRequest) -> HttpResponseBase:
        is_head = request.method == "HEAD"
        if is_head:
            request.method = "GET"
        try:
            response = ensure_api_envelope(self.get_response(request))
        finally:
            if is_head:
                request.method = "HEAD"
        if getattr(request, "axes_locked_out", False):
            response = error_response(
                429, "locked_out", _("Too many failed sign-ins. Wait a while and try again.")
            )
        return self._conditional(request, response)

    def _conditional(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            request.method not in {"GET", "HEAD"}
            or response.status_code != 200
            or not isinstance(response, HttpResponse)
        ):
            return response
        etag = _etag(response)
        # The body depends on who asks (drafts, /me): caches must key on the token too.
        patch_vary_headers(response, ["Authorization"])
        if _matches(request.headers.get("If-None-Match", ""), etag):
            not_modified = HttpResponseNotModified()
            not_modified["ETag"] = etag
            not_modified["Vary"] = response["Vary"]
            return not_modified
        response["ETag"] = etag
        return response
