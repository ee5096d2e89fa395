"""The dashboard: overview, users and roles, audit log, lockouts. Parse → call → render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts import lockouts as lockout_services
from apps.accounts import selectors
from apps.accounts import services as account_services
from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.accounts.roles import ROLE_ORDER, Role, role_of
from apps.blog.selectors import post_counts_by_status
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial
from apps.core.languages import site_languages
from apps.dashboard.exports import audit_csv_lines
from apps.dashboard.forms import (
    AuditFilterForm,
    LockoutClearForm,
    RoleForm,
    UserFilterForm,
    WritesLanguagesForm,
)
from apps.dashboard.views.base import (
    actor,
    dashboard_view,
    error_text,
    layout_context,
    render_section,
)

USERS_PER_PAGE = 25
EVENTS_PER_PAGE = 50

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


# --------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------


@require_safe
@never_cache
@dashboard_view()
def home(request: HtmxRequest) -> HttpResponse:
    user = actor(request)
    context = {
        "own_counts": post_counts_by_status(author=user),
        "site_counts": post_counts_by_status() if can(user, "post.review") else None,
        "security_events": (
            list(selectors.recent_security_events()) if can(user, "audit.view") else None
        ),
        "can_manage_users": can(user, "users.manage"),
    }
    return render(
        request, "dashboard/overview.html", {**layout_context(request, "overview"), **context}
    )


# --------------------------------------------------------------------------
# Users and roles
# --------------------------------------------------------------------------


def _row_context(request: HtmxRequest, pk: int, **extra: Any) -> dict[str, Any]:
    row = get_object_or_404(selectors.user_directory(), pk=pk)
    return {"row": row, "roles": ROLE_ORDER, "languages": site_languages(), **extra}


def _render_row(request: HtmxRequest, pk: int, **extra: Any) -> HttpResponse:
    return render_page_or_partial(
        request, "dashboard/users.html", "user-row", _row_context(request, pk, **extra)
    )


@require_safe
@never_cache
@dashboard_view("users.manage")
def users(request: HtmxRequest) -> HttpResponse:
    form = UserFilterForm(request.GET)
    paginator = Paginator(selectors.user_directory(**form.filters()), USERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render_section(
        request,
        "dashboard/users.html",
        "user-results",
        "users",
        {"form": form, "page": page, "roles": ROLE_ORDER, "languages": site_languages()},
    )


@require_safe
@never_cache
@dashboard_view("users.manage")
def user_row(request: HtmxRequest, pk: int) -> HttpResponse:
    if not wants_partial(request):
        return redirect("dashboard:users")
    return _render_row(request, pk)


@require_POST
@dashboard_view("users.manage")
def user_role(request: HtmxRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            account_services.set_role(
                actor=actor(request),
                user=target,
                role=Role(form.cleaned_data["role"]),
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
    else:
        error = " ".join(
            str(message) for message in form.errors.get("role", [gettext("Choose a role.")])
        )
    if wants_partial(request):
        # 200 either way: htmx swaps only successful responses, and the row shows the error.
        return _render_row(request, pk, row_error=error, row_saved=not error)
    if error:
        messages.error(request, f"{target.email}: {error}")
    else:
        messages.success(
            request,
            gettext("%(email)s is now %(role)s.")
            % {"email": target.email, "role": str(role_of(target).label).lower()},
        )
    return redirect("dashboard:users")


@require_POST
@dashboard_view("users.manage")
def user_languages(request: HtmxRequest, pk: int) -> HttpResponse:
    """The languages a person may write in (none ticked: any of the site's)."""
    target = get_object_or_404(User, pk=pk)
    form = WritesLanguagesForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            account_services.set_writes_languages(
                actor=actor(request),
                user=target,
                languages=form.cleaned_data["languages"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
    else:
        error = " ".join(str(message) for message in form.errors.get("languages", []))
    if wants_partial(request):
        return _render_row(request, pk, languages_error=error, languages_saved=not error)
    if error:
        messages.error(request, f"{target.email}: {error}")
    else:
        messages.success(
            request, gettext("%(email)s’s languages were saved.") % {"email": target.email}
        )
    return redirect("dashboard:users")


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view("users.manage")
def user_set_active(request: HtmxRequest, pk: int, *, active: bool) -> HttpResponse:
    """GET asks for confirmation; POST deactivates or reactivates."""
    action = "reactivate" if active else "deactivate"
    if request.method != "POST":  # GET or HEAD: show, never act
        context = _row_context(request, pk, confirming=action)
        if wants_partial(request):  # the row asks; without JavaScript, a page of its own
            return render_page_or_partial(request, "dashboard/users.html", "user-row", context)
        return render(
            request, "dashboard/user_confirm.html", {**layout_context(request, "users"), **context}
        )
    target = get_object_or_404(User, pk=pk)
    error = ""
    try:
        account_services.set_active(
            actor=actor(request), user=target, active=active, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        error = error_text(exc)
    if wants_partial(request):
        return _render_row(request, pk, row_error=error, row_saved=not error)
    if error:
        messages.error(request, f"{target.email}: {error}")
    else:
        done = (
            gettext("%(email)s was reactivated.")
            if active
            else gettext("%(email)s was deactivated.")
        )
        messages.success(request, done % {"email": target.email})
    return redirect("dashboard:users")


# --------------------------------------------------------------------------
# Audit log
# --------------------------------------------------------------------------


def _query_withoutrender_section(request: HtmxRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_safe
@never_cache
@dashboard_view("audit.view")
def audit_log(request: HtmxRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    paginator = Paginator(selectors.filtered_audit_events(**form.filters()), EVENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render_section(
        request,
        "dashboard/audit_log.html",
        "audit-results",
        "audit",
        {"form": form, "page": page, "export_query": _query_withoutrender_section(request)},
    )


@require_safe
@never_cache
@dashboard_view("audit.view")
def audit_export(request: HtmxRequest) -> HttpResponseBase:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(
            gettext("Invalid filters: fix them on the audit log page first.")
        )
    events = selectors.filtered_audit_events(**form.filters())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        audit_csv_lines(events), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response


# --------------------------------------------------------------------------
# Lockouts
# --------------------------------------------------------------------------


@require_safe
@never_cache
@dashboard_view("users.manage")
def lockouts(request: HtmxRequest) -> HttpResponse:
    return render_section(
        request, "dashboard/lockouts.html", "lockout-list", "lockouts", _lockouts()
    )


def _lockouts(**extra: Any) -> dict[str, Any]:
    return {
        "lockouts": lockout_services.current_lockouts(),
        "policy": lockout_services.lockout_policy(),
        **extra,
    }


@require_POST
@dashboard_view("users.manage")
def lockout_clear(request: HtmxRequest) -> HttpResponse:
    form = LockoutClearForm(request.POST)
    notice, error = "", ""
    if form.is_valid():
        username = form.cleaned_data["username"] or None
        ip_address = form.cleaned_data["ip_address"] or None
        try:
            lockout_services.clear_lockout(
                actor=actor(request), username=username, ip_address=ip_address, request=request
            )
            notice = gettext("Unlocked %(login)s from %(address)s.") % {
                "login": username or gettext("an unknown login"),
                "address": ip_address or gettext("an unknown address"),
            }
        except ValidationError as exc:
            error = error_text(exc)
    else:
        error = gettext("That lockout could not be read; reload the page and try again.")
    if wants_partial(request):
        return render_page_or_partial(
            request,
            "dashboard/lockouts.html",
            "lockout-list",
            _lockouts(notice=notice, error=error),
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(reverse("dashboard:lockouts"))
