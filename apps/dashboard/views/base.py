"""Shared pieces of every dashboard view: access checks, layout and partial rendering."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.utils.translation import gettext
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.accounts.roles import role_of
from apps.core.htmx import render_page_or_partial, wants_partial
from apps.dashboard.navigation import navigation_for

USERS_PER_PAGE = 25
EVENTS_PER_PAGE = 50

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def dashboard_view(action: str = "dashboard.access") -> Callable[[ViewFunc], ViewFunc]:
    """Sign-in required (else the login page), then `dashboard.access` and `action` (else 403)."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                response = redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
                # An htmx swap would put the login page inside the table; send the browser there.
                return (
                    HttpResponseClientRedirect(response.url) if wants_partial(request) else response
                )
            if not (can(request.user, "dashboard.access") and can(request.user, action)):
                raise PermissionDenied(gettext("Your role does not include this page."))
            return view(request, *args, **kwargs)

        return cast(ViewFunc, wrapped)

    return decorator


def actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def render_section(
    request: HttpRequest, template: str, partial: str, section: str, context: Mapping[str, Any]
) -> HttpResponse:
    """Render a dashboard page (with its navigation) or, for an htmx swap, one partial of it."""
    full = {} if wants_partial(request) else layout_context(request, section)
    return render_page_or_partial(request, template, partial, {**full, **context})


def layout_context(request: HttpRequest, section: str) -> dict[str, Any]:
    return {
        "nav": navigation_for(request.user),
        "section": section,
        "role": role_of(actor(request)),
    }


def error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or gettext("You do not have permission to do that.")
