"""Verification: the login stage, and re-verifying a signed-in session."""

from __future__ import annotations

from typing import Any

import django_otp
from allauth.account.stages import LoginStageController
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_otp.plugins.otp_static.models import StaticDevice

from apps.accounts.mfa import services
from apps.accounts.mfa.forms import VerifyForm
from apps.accounts.mfa.selectors import (
    backup_codes_left,
    confirmed_totp_device,
    email_device,
    has_confirmed_device,
)
from apps.accounts.mfa.stages import OTPStage
from apps.accounts.mfa.trust import trust_browser, trusted_device
from apps.accounts.mfa.views._helpers import (
    is_verified,
    next_url_from,
    signed_in_user,
    with_next,
)
from apps.accounts.models import User
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial


def _masked(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:1]}{'•' * min(max(len(local) - 1, 1), 6)}@{domain}" if domain else email


def _verify_context(
    request: HtmxRequest, user: User, form: VerifyForm, *, signing_in: bool
) -> dict[str, Any]:
    fallback = email_device(user)
    return {
        "form": form,
        "signing_in": signing_in,
        "email_fallback": fallback is not None,
        "masked_email": _masked(fallback.email or user.email) if fallback else "",
        "backup_codes_left": backup_codes_left(user),
        "next": next_url_from(request),
    }


def _after_backup_code(request: HtmxRequest, user: User) -> None:
    left = backup_codes_left(user)
    tone = messages.warning if left <= 3 else messages.info
    tone(
        request,
        ngettext(
            "You used a backup code. You have %(left)d backup code left; "
            "generate new ones on your security page if you are running low.",
            "You used a backup code. You have %(left)d backup codes left; "
            "generate new ones on your security page if you are running low.",
            left,
        )
        % {"left": left},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def mfa_verify(request: HtmxRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        return _reverify(request, signed_in_user(request))
    stage = LoginStageController.enter(request, OTPStage.key)
    if stage is None:
        return redirect("account_login")
    user: User = stage.login.user
    if not has_confirmed_device(user):
        # The devices went away while the login waited (2FA turned off elsewhere).
        exited: HttpResponseBase = stage.exit()
        return exited
    if request.method == "POST" and request.POST.get("action") == "cancel":
        response: HttpResponseBase = stage.abort()
        return response
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify_second_factor(
                user=user, code=form.cleaned_data["code"], purpose="login", request=request
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            # django-otp's user_logged_in receiver verifies the new session with this device.
            user.otp_device = device  # type: ignore[attr-defined]  # django-otp reads it
            response = stage.exit()
            if not request.user.is_authenticated:
                return response  # allauth stopped the login (an inactive account, say)
            if form.cleaned_data["trust"] and (app := confirmed_totp_device(user)) is not None:
                trust_browser(response, user=user, device=app)
            if isinstance(device, StaticDevice):
                _after_backup_code(request, user)
            return response
    return render(
        request,
        "accounts/mfa/verify.html",
        _verify_context(request, user, form, signing_in=True),
    )


def _reverify(request: HtmxRequest, user: User) -> HttpResponseBase:
    next_url = next_url_from(request, reverse("accounts:mfa_overview"))
    if is_verified(request) or not has_confirmed_device(user):
        return HttpResponseRedirect(next_url)
    if (trusted := trusted_device(request, user)) is not None:
        django_otp.login(request, trusted)
        return HttpResponseRedirect(next_url)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify_second_factor(
                user=user, code=form.cleaned_data["code"], purpose="reverify", request=request
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            django_otp.login(request, device)
            response = HttpResponseRedirect(next_url)
            if form.cleaned_data["trust"] and (app := confirmed_totp_device(user)) is not None:
                trust_browser(response, user=user, device=app)
            if isinstance(device, StaticDevice):
                _after_backup_code(request, user)
            return response
    return render(
        request,
        "accounts/mfa/verify.html",
        _verify_context(request, user, form, signing_in=False),
    )


@require_POST
@vary_on_headers("HX-Request")
def mfa_send_email_code(request: HtmxRequest) -> HttpResponseBase:
    if request.user.is_authenticated:
        user: User | None = signed_in_user(request)
    else:
        stage = LoginStageController.enter(request, OTPStage.key)
        user = stage.login.user if stage is not None else None
    if user is None:
        return redirect("account_login")
    notice, error_text = "", ""
    try:
        device = services.send_email_code(user=user, request=request)
    except ValidationError as error:
        error_text = " ".join(error.messages)
    else:
        minutes = max(1, int(settings.OTP_EMAIL_TOKEN_VALIDITY) // 60)
        notice = ngettext(
            "We emailed a code to %(email)s. It works once and expires in %(minutes)d minute.",
            "We emailed a code to %(email)s. It works once and expires in %(minutes)d minutes.",
            minutes,
        ) % {"email": _masked(device.email or user.email), "minutes": minutes}
    if wants_partial(request):
        return render_page_or_partial(
            request,
            "accounts/mfa/verify.html",
            "email-code",
            {"email_notice": notice, "email_error": error_text, "email_fallback": True},
        )
    if error_text:
        messages.error(request, error_text)
    else:
        messages.success(request, notice)
    return redirect(with_next(reverse("accounts:mfa_verify"), next_url_from(request)))
