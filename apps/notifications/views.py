"""The notifications page and settings: parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from apps.accounts.models import User
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial
from apps.notifications import selectors, services
from apps.notifications.forms import PreferencesForm

LIST_TEMPLATE = "notifications/list.html"
PER_PAGE = 20


def _user(request: HtmxRequest) -> User:
    return cast(User, request.user)  # every view here is behind login_required


def _list_context(request: HtmxRequest, *, unread_only: bool, page: str | None) -> dict[str, Any]:
    user = _user(request)
    paginator = Paginator(selectors.notifications_for(user, unread_only=unread_only), PER_PAGE)
    return {
        "page": paginator.get_page(page),
        "unread_only": unread_only,
        "unread": selectors.unread_count(user),
    }


def _list_url(unread_only: bool) -> str:
    url = reverse("notifications:list")
    return f"{url}?filter=unread" if unread_only else url


@login_required
@require_safe
@vary_on_headers("HX-Request")
def notification_list(request: HtmxRequest) -> HttpResponse:
    unread_only = request.GET.get("filter") == "unread"
    context = _list_context(request, unread_only=unread_only, page=request.GET.get("page"))
    return render_page_or_partial(request, LIST_TEMPLATE, "notification-list", context)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def notification_read(request: HtmxRequest, pk: int) -> HttpResponse:
    user = _user(request)
    notification = get_object_or_404(selectors.notifications_for(user), pk=pk)
    services.mark_read(actor=user, notification_ids=[notification.pk])
    if wants_partial(request):
        notification.refresh_from_db(fields=["read_at"])
        context = {"notification": notification, "unread": selectors.unread_count(user)}
        return render(request, f"{LIST_TEMPLATE}#item-response", context)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("notifications:list")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def notification_read_all(request: HtmxRequest) -> HttpResponse:
    count = services.mark_read(actor=_user(request), all=True)
    notice = ngettext(
        "Marked %(count)s notification read.", "Marked %(count)s notifications read.", count
    ) % {"count": count}
    unread_only = request.POST.get("filter") == "unread"
    if not wants_partial(request):
        messages.success(request, notice)
        return redirect(_list_url(unread_only))
    context = _list_context(request, unread_only=unread_only, page=None)
    context |= {"notice": notice, "oob_count": True}
    return render(request, f"{LIST_TEMPLATE}#notification-list", context)


@login_required
@require_safe
def notification_open(request: HtmxRequest, pk: int) -> HttpResponseRedirect:
    # Following a notification reads it: the one write a GET makes here, harmless and
    # idempotent, so links in the bell and in emails work without a form.
    user = _user(request)
    notification = get_object_or_404(selectors.notifications_for(user), pk=pk)
    services.mark_read(actor=user, notification_ids=[notification.pk])
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
def notification_settings(request: HtmxRequest) -> HttpResponse:
    user = _user(request)
    current = selectors.preferences_for(user)
    saved = False
    if request.method == "POST":
        form = PreferencesForm(request.POST, initial_choices=current)
        if form.is_valid():
            try:
                current = services.set_preferences(actor=user, choices=form.choices())
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                if not wants_partial(request):
                    messages.success(request, _("Your notification settings are saved."))
                    return redirect("notifications:settings")
                saved = True
                form = PreferencesForm(initial_choices=current)
    else:
        form = PreferencesForm(initial_choices=current)
    # Invalid input re-renders with 200: htmx swaps only successful responses.
    return render_page_or_partial(
        request, "notifications/settings.html", "settings-form", {"form": form, "saved": saved}
    )
