"""One error envelope for every API failure, and the OpenAPI responses that document it.

Every 4xx answer looks like `{"error": {"code": str, "message": str, "fields": {…} | null}}`.
Views raise `ApiError` (or let services raise Django's ValidationError / PermissionDenied,
or Http404); `install_error_handlers` turns each into the envelope. `error_responses`
lists the envelope under each status code an operation can answer with, so the OpenAPI
document (and the generated TypeScript) knows about them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from apps.accounts.tokens import TokenError
from apps.api.field_messages import field_message
from apps.core.errors import error_body, error_response

__all__ = ["CODES", "ApiError", "ErrorOut", "error_body", "error_response", "error_responses"]


class ApiError(Exception):
    """An expected failure with its HTTP status and machine-readable code.

    `message` (and the texts in `fields`) are for people: pass them through gettext where
    the error is raised, so the answer is in the reader's language (Accept-Language).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str | Promise,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.status = status
        self.code = code
        self.message = str(message)
        self.fields = fields
        self.headers = headers or {}


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None


class ErrorOut(Schema):
    error: ErrorDetail


# The codes the API answers with, by status; docs/api/README.md has the same table.
CODES: dict[int, tuple[str, ...]] = {
    400: ("malformed_json", "bad_request", "invalid_cursor"),
    401: (
        "not_authenticated",
        "invalid_token",
        "token_expired",
        "token_revoked",
        "token_reused",
        "invalid_credentials",
        "otp_required",
        "otp_invalid",
    ),
    403: ("forbidden", "inactive", "mfa_enrolment_required", "email_unverified", "own_comment"),
    404: ("not_found",),
    405: ("method_not_allowed",),
    409: (
        "conflict",
        "email_taken",
        "comments_closed",
        "edit_window_closed",
        "comment_deleted",
        "comment_removed",
        "comment_not_public",
        "already_reported",
        "address_suppressed",
    ),
    413: ("payload_too_large",),
    422: ("validation_error", "invalid_parent", "idempotency_key_reused"),
    429: ("rate_limited", "locked_out"),
    500: ("server_error",),
    503: ("service_unavailable",),
}

_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    422: "Validation error",
    429: "Too many requests",
    503: "Service unavailable",
}

# Any operation can be refused these: a body too big, the rate limit, or an outage.
ALWAYS = (400, 413, 429, 503)


def error_responses(*statuses: int) -> dict[int, Any]:
    """`{status: ErrorOut}` for the operation's `response=` (the common ones always included)."""
    return dict.fromkeys(sorted({*ALWAYS, *statuses}), ErrorOut)


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja's loc is (source, param name, *path): ("body", "payload", "email") → "email".
    parts = [str(p) for p in loc]
    # A check of the whole payload (a model validator) has only the param name: "__all__".
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
        if parts and parts[0] in {"payload", "filters", "params"}:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def _django_fields(error: DjangoValidationError) -> dict[str, list[str]] | None:
    if hasattr(error, "error_dict"):
        return {
            field: [str(message) for e in errors for message in e.messages]
            for field, errors in error.error_dict.items()
        }
    return None


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer every failure of `api` with the envelope."""

    def respond(request: HttpRequest, error: ApiError) -> HttpResponse:
        # A message raised as a plain literal is still looked up in the catalogs here (one
        # already translated, or not in them, comes back unchanged).
        message = _(error.message) if error.message else error.message
        fields = error.fields
        if fields is not None:
            fields = {name: [str(text) for text in texts] for name, texts in fields.items()}
        body = {"error": {"code": error.code, "message": message, "fields": fields}}
        response = api.create_response(request, body, status=error.status)
        for name, value in error.headers.items():
            response[name] = value
        return response

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc)

    def on_token_error(request: HttpRequest, exc: TokenError) -> HttpResponse:
        status = {"locked_out": 429, "inactive": 403, "mfa_enrolment_required": 403}.get(
            exc.code, 401
        )
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else {}
        return respond(request, ApiError(status, exc.code, exc.message, headers=headers))

    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for item in exc.errors:
            fields.setdefault(_field_name(item.get("loc", ())), []).append(field_message(item))
        return respond(
            request, ApiError(422, "validation_error", _("The request is not valid."), fields)
        )

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = _django_fields(exc)
        message = _("The request is not valid.") if fields else " ".join(exc.messages)
        return respond(request, ApiError(422, "validation_error", message, fields))

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, ApiError):  # the parser's malformed_json, wrapped by ninja
            return respond(request, exc.__cause__)
        if isinstance(exc, AuthenticationError):
            return respond(
                request,
                ApiError(
                    401,
                    "not_authenticated",
                    _("Send an access token: `Authorization: Bearer <token>`."),
                    headers={"WWW-Authenticate": "Bearer"},
                ),
            )
        if exc.status_code == 400:
            return respond(request, ApiError(400, "bad_request", str(exc)))
        code = CODES.get(exc.status_code, ("error",))[0]
        return respond(request, ApiError(exc.status_code, code, str(exc)))

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, ApiError(404, "not_found", str(exc) or _("Not found.")))

    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or _("You do not have permission to do that.")
        return respond(request, ApiError(403, "forbidden", message))

    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (ApiError, on_api_error),
        (TokenError, on_token_error),
        (NinjaValidationError, on_validation),
        (DjangoValidationError, on_django_validation),
        (HttpError, on_http_error),
        (Http404, on_404),
        (PermissionDenied, on_denied),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)
