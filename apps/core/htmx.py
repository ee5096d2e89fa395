"""htmx helpers: one template serves the full page or one of its partials."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    """An HttpRequest that has passed through django-htmx's middleware."""

    htmx: HtmxDetails


def wants_partial(request: HttpRequest) -> bool:
    """True for a plain htmx swap: not a boosted navigation, not a history restore."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request  # type: ignore[union-attr]


def render_page_or_partial(
    request: HttpRequest,
    template_name: str,
    partial: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """Render `template#partial` for an htmx swap, the whole page otherwise."""
    name = f"{template_name}#{partial}" if wants_partial(request) else template_name
    response = render(request, name, context, status=status)
    # Caches must keep the partial and the full page apart.
    response["Vary"] = ", ".join(filter(None, [response.get("Vary"), "HX-Request"]))
    return response
