"""Profile, sessions and account deletion pages: parse, call a service, render."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from apps.accounts import services as account_services
from apps.accounts.models import User
from apps.accounts.profile import selectors, services
from apps.accounts.profile.forms import DeleteAccountForm, ProfileForm
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial

SESSIONS_TEMPLATE = "accounts/profile/sessions.html"


def _user(request: HtmxRequest) -> User:
    return cast(User, request.user)  # every view here is behind login_required


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
def profile(request: HtmxRequest) -> HttpResponse:
    user = _user(request)
    saved = False
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            try:
                services.update_profile(
                    actor=user, user=user, changes=form.changes(), request=request
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if not wants_partial(request):
                    messages.success(request, "Your profile is saved.")
                    return redirect("accounts:profile")
                saved = True
                form = ProfileForm(user=user)
    else:
        form = ProfileForm(user=user)
    # Invalid input re-renders with 200: htmx swaps only successful responses.
    return render_page_or_partial(
        request,
        "accounts/profile/profile.html",
        "profile-form",
        {"form": form, "profile_user": user, "saved": saved},
    )


def _sessions_response(request: HtmxRequest, *, notice: str = "", error: str = "") -> HttpResponse:
    user = _user(request)
    rows = selectors.session_rows(user, current_key=request.session.session_key)
    return render_page_or_partial(
        request,
        SESSIONS_TEMPLATE,
        "session-list",
        {"sessions": rows, "notice": notice, "error": error},
    )


@login_required
@require_safe
@vary_on_headers("HX-Request")
def sessions(request: HtmxRequest) -> HttpResponse:
    return _sessions_response(request)


def _after_session_change(
    request: HtmxRequest, *, notice: str = "", error: str = ""
) -> HttpResponse:
    """htmx swaps the refreshed list in; a plain form post gets a message and a redirect."""
    if wants_partial(request):
        return _sessions_response(request, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("accounts:sessions")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def session_revoke(request: HtmxRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    session_key = selectors.session_key_for(user, public_id)
    if session_key is None:
        return _after_session_change(
            request, error="That session has already ended or does not exist."
        )
    try:
        account_services.revoke_session(actor=user, session_key=session_key, request=request)
    except ValidationError as error:
        return _after_session_change(request, error=" ".join(error.messages))
    return _after_session_change(request, notice="That session is signed out.")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def sessions_revoke_others(request: HtmxRequest) -> HttpResponse:
    count = account_services.revoke_other_sessions(
        user=_user(request),
        keep_session_key=request.session.session_key,
        request=request,
        reason="signed out everywhere else",
    )
    if count == 0:
        return _after_session_change(request, notice="No other sessions were signed in.")
    plural = "session" if count == 1 else "sessions"
    return _after_session_change(request, notice=f"Signed out {count} other {plural}.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request: HtmxRequest) -> HttpResponse:
    user = _user(request)
    needs_code = selectors.needs_second_factor(user)
    form = DeleteAccountForm(needs_code=needs_code)
    if request.method == "POST" and request.POST.get("action") == "send_code":
        try:
            services.send_deletion_code(actor=user, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.info(request, "We emailed you a code. It works for a few minutes.")
    elif request.method == "POST":
        form = DeleteAccountForm(request.POST, needs_code=needs_code)
        if form.is_valid():
            try:
                kept = services.delete_account(
                    actor=user,
                    password=form.cleaned_data["password"],
                    otp_token=form.cleaned_data.get("otp_token", ""),
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                note = {0: "", 1: " Your post stays online."}.get(
                    kept, f" Your {kept} posts stay online."
                )
                messages.success(request, f"Your account is deleted.{note} Goodbye!")
                return redirect("blog:home")
    return render(
        request,
        "accounts/profile/delete.html",
        {
            "form": form,
            "needs_code": needs_code,
            "can_send_code": needs_code and selectors.can_send_email_code(user),
            "has_password": user.has_usable_password(),
            "is_superuser": user.is_superuser,
        },
    )
