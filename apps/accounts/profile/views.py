"""Profile, sessions, account deletion and following authors: parse, call a service, render."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from apps.accounts import selectors as selectors_accounts
from apps.accounts import services as account_services
from apps.accounts.models import User
from apps.accounts.profile import selectors, services
from apps.accounts.profile.forms import DeleteAccountForm, ProfileForm
from apps.accounts.regions import follow_button_html
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
                    messages.success(request, _("Your profile is saved."))
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
            request, error=_("That session has already ended or does not exist.")
        )
    try:
        account_services.revoke_session(actor=user, session_key=session_key, request=request)
    except ValidationError as error:
        return _after_session_change(request, error=" ".join(error.messages))
    return _after_session_change(request, notice=_("That session is signed out."))


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
        return _after_session_change(request, notice=_("No other sessions were signed in."))
    notice = ngettext(
        "Signed out %(count)d other session.", "Signed out %(count)d other sessions.", count
    ) % {"count": count}
    return _after_session_change(request, notice=notice)


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
            messages.info(request, _("We emailed you a code. It works for a few minutes."))
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
                if kept:
                    goodbye = ngettext(
                        "Your account is deleted. Your post stays online. Goodbye!",
                        "Your account is deleted. Your %(count)d posts stay online. Goodbye!",
                        kept,
                    ) % {"count": kept}
                else:
                    goodbye = _("Your account is deleted. Goodbye!")
                messages.success(request, goodbye)
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


# --------------------------------------------------------------------------
# Following authors
# --------------------------------------------------------------------------


def _follow_response(request: HtmxRequest, username: str, *, follow: bool) -> HttpResponse:
    author = selectors_accounts.followable_author(username)
    if author is None:
        raise Http404("No such author.")
    user = _user(request)
    notice = ""
    try:
        if follow:
            account_services.follow_author(actor=user, author=author)
        else:
            account_services.unfollow_author(actor=user, author=author)
    except ValidationError as error:
        notice = " ".join(error.messages)
    if not request.htmx:
        if notice:
            messages.error(request, notice)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = author.get_absolute_url()
        return redirect(target)
    following = selectors_accounts.is_following(follower=user, author_id=author.pk)
    if not notice:
        notice = (
            _("You’ll hear when %(name)s publishes.") % {"name": author.name}
            if following
            else _("You no longer follow %(name)s.") % {"name": author.name}
        )
    html = follow_button_html(
        request,
        author_id=author.pk,
        author_username=author.username,
        csrf_token=get_token(request),
        notice=notice,
        following=following,
    )
    return HttpResponse(html)


@login_required
@require_POST
def follow(request: HtmxRequest, username: str) -> HttpResponse:
    return _follow_response(request, username, follow=True)


@login_required
@require_POST
def unfollow(request: HtmxRequest, username: str) -> HttpResponse:
    return _follow_response(request, username, follow=False)
