"""Error answers shared by the site and the API: HTML pages for people, the envelope for /api/.

The API documents one shape for every failure (docs/api/README.md, "Errors"):
`{"error": {"code": str, "message": str, "fields": {…} | null}}`. ninja's own handlers
(apps.api.errors) produce it for what happens inside an operation, but some answers are
made before or outside ninja: an unknown route, a method a route does not allow, a view
that crashed (Django's handler500), a CSRF refusal, a request refused by a middleware.
This module builds the envelope for those, and Django's handler400/403/404/500 come from
here so that each picks JSON under /api/ and the site's page elsewhere.

It lives in core, not in the api app, because core's middleware answers with it too and
core imports no other app (.importlinter).
"""

from __future__ import annotations

import json
import sys

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

API_PREFIX = "/api/"

# The code and message an error status gets when nothing more specific said why. The
# messages are lazy: each answer has them in the language active when it is built (the
# reader's, from Accept-Language, for /api/).
DEFAULT_ERRORS: dict[int, tuple[str, Promise]] = {
    400: ("bad_request", gettext_lazy("The request could not be read.")),
    401: (
        "not_authenticated",
        gettext_lazy("Send an access token: `Authorization: Bearer <token>`."),
    ),
    403: ("forbidden", gettext_lazy("You do not have permission to do that.")),
    404: ("not_found", gettext_lazy("Not found.")),
    405: ("method_not_allowed", gettext_lazy("This route does not allow that method.")),
    413: ("payload_too_large", gettext_lazy("The request body is too large.")),
    429: ("rate_limited", gettext_lazy("Too many requests.")),
    500: (
        "server_error",
        gettext_lazy("Something went wrong on our side. The error has been logged."),
    ),
    503: (
        "service_unavailable",
        gettext_lazy("The service is unavailable for a moment. Try again shortly."),
    ),
}

# Headers of a refused answer that still mean something once its body is the envelope.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def is_api_request(request: HttpRequest) -> bool:
    """True for requests to the JSON API, which never answer HTML."""
    return request.path_info.startswith(API_PREFIX)


def error_body(
    code: str, message: str | Promise, fields: dict[str, list[str]] | None = None
) -> bytes:
    """The envelope as JSON bytes (lazy texts in the active language)."""
    if fields is not None:
        fields = {name: [str(text) for text in texts] for name, texts in fields.items()}
    return json.dumps({"error": {"code": code, "message": str(message), "fields": fields}}).encode()


def error_response(
    status: int,
    code: str,
    message: str | Promise,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """An envelope response made outside ninja (middleware, URL handlers)."""
    response = HttpResponse(
        error_body(code, message, fields), status=status, content_type="application/json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def default_error_response(status: int, message: str | None = None) -> HttpResponse:
    """The envelope for `status` with its default code (and message unless one is given)."""
    code, default_message = DEFAULT_ERRORS.get(
        status, ("error", gettext_lazy("The request failed."))
    )
    return error_response(status, code, message or default_message)


def ensure_api_envelope(response: HttpResponseBase) -> HttpResponseBase:
    """Replace an /api/ error answer that is not JSON (405, a CSRF 403, …) with the envelope.

    Answers that are already JSON pass through untouched, so every envelope an operation
    chose (its code, its message, its fields) survives.
    """
    if response.status_code < 400 or "json" in response.get("Content-Type", ""):
        return response
    envelope = default_error_response(response.status_code)
    for name in _KEPT_HEADERS:
        if name in response:
            envelope[name] = response[name]
    return envelope


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a SuspiciousOperation or an unreadable request."""
    if is_api_request(request):
        return default_error_response(400)
    return HttpResponse(render_to_string("400.html"), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: a page that says why, in the site's layout (naming the user's role)."""
    if is_api_request(request):
        return default_error_response(403, str(exception or "") or None)
    reason = str(exception or "")
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the site's page, or the envelope for an unknown API route."""
    if is_api_request(request):
        return default_error_response(
            404, _("No API endpoint at %(path)s.") % {"path": request.path}
        )
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 with Retry-After when a backing service is down, else the 500 page.

    Django calls it inside its `except` block, for exceptions raised anywhere, middleware
    included (ServiceUnavailableMiddleware sees only the view's), so `sys.exc_info()` names
    the exception. No context processors: they could touch a failing database.
    """
    from apps.core.middleware import outage_response  # the middleware uses this module

    if (response := outage_response(request, sys.exc_info()[1])) is not None:
        return response
    if is_api_request(request):
        return default_error_response(500)
    return HttpResponse(render_to_string("500.html"), status=500)
