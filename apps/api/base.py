"""The NinjaAPI every version is built from: envelope errors, strict JSON, CSP-safe docs.

How to add a resource to a version (for example comments, in apps/api/v1/comments.py):

    router = Router(tags=["comments"])

    @router.get("/posts/{post_id}/comments", response={200: CommentPage, **error_responses(404)},
                auth=optional_token)
    def list_comments(request: HttpRequest, post_id: int) -> ...: ...

then, in apps/api/v1/__init__.py, one import and one line:

    from apps.api.v1 import comments
    api.add_router("/", comments.router)

Errors: raise `apps.api.errors.ApiError(status, code, message, fields)`, or let services
raise Django's ValidationError (422) / PermissionDenied (403) / Http404; list the statuses
in `response=` with `error_responses(...)` so the OpenAPI document shows them. Then run
`make api-schema` and commit docs/api/ (tests/api/test_contract.py checks it).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.types import DictStrAny

from apps.api.errors import ApiError, install_error_handlers


class JSONParser(Parser):
    """ninja's parser, but malformed JSON is our `malformed_json` error."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(
                400, "malformed_json", _("The request body is not valid JSON.")
            ) from None
        if not isinstance(data, dict):
            raise ApiError(400, "malformed_json", _("The request body must be a JSON object."))
        return data


class StaticSwagger(DocsBase):
    """Swagger UI from our own static files, configured by a static script (CSP: self only)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        context = {"title": api.title, "openapi_url": self.get_openapi_url(api, kwargs)}
        return render(request, "api/docs.html", context)


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # as apps.api.idempotency
IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": (
        "Any unique string (a UUID) of 1 to 255 visible ASCII characters. Sent again with "
        "the same request, it returns the first answer (with `Idempotent-Replayed: true`) "
        "instead of doing the write twice; kept 24 hours. The same key with a different "
        "request answers 422 `idempotency_key_reused`."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


class InkwellAPI(NinjaAPI):
    """One API version."""

    def __init__(self, *, version: str, description: str, **kwargs: Any) -> None:
        super().__init__(
            title=f"Inkwell API {version}",
            version=version.removeprefix("v"),
            description=description,
            urls_namespace=f"api-{version}",
            parser=JSONParser(),
            docs=StaticSwagger(),
            **kwargs,
        )
        self.api_version = version
        install_error_handlers(self)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """ninja's document, plus the `Idempotency-Key` header every signed-in write takes."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method.upper() in _WRITES and operation.get("security"):
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        return schema

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        # ninja's root view is a 404 page; ours says where the documents are.
        return [*urls[:-1], path("", self._index, name="api-root")]

    def _index(self, request: HttpRequest) -> JsonResponse:
        namespace = self.urls_namespace
        return JsonResponse(
            {
                "version": self.api_version,
                "openapi": reverse(f"{namespace}:openapi-json"),
                "docs": reverse(f"{namespace}:openapi-view"),
            }
        )
