"""The security page: status, enrolment, backup codes, email codes, turning 2FA off."""

from __future__ import annotations

from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from apps.accounts.mfa import fresh_codes, services
from apps.accounts.mfa.forms import ConfirmTOTPForm, DisableForm
from apps.accounts.mfa.qr import manual_key, otpauth_uri, qr_data_uri
from apps.accounts.mfa.selectors import (
    backup_codes_left,
    confirmed_totp_device,
    has_confirmed_device,
    mfa_required,
    mfa_status,
)
from apps.accounts.mfa.trust import forget_browser, trusted_device
from apps.accounts.mfa.views._helpers import (
    next_url_from,
    signed_in_user,
    verified_session,
    with_next,
)
from apps.accounts.models import User
from apps.accounts.roles import role_of
from apps.accounts.selectors import has_verified_email
from apps.core.htmx import HtmxRequest, render_page_or_partial, wants_partial


def _overview_context(request: HtmxRequest, user: User) -> dict[str, Any]:
    return {
        "status": mfa_status(user),
        "role": role_of(user),
        "email_verified": has_verified_email(user),
        "trusted_browser": trusted_device(request, user) is not None,
        "trust_days": settings.MFA_TRUST_BROWSER_DAYS,
    }


# --------------------------------------------------------------------------
# The security page
# --------------------------------------------------------------------------


@require_safe
@login_required
@verified_session
@vary_on_headers("HX-Request")
def mfa_overview(request: HtmxRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render_page_or_partial(
        request, "accounts/mfa/overview.html", "mfa-status", _overview_context(request, user)
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@login_required
@verified_session
def mfa_totp_setup(request: HtmxRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    next_url = next_url_from(request)
    if confirmed_totp_device(user) is not None:
        messages.info(request, _("Your authenticator app is already set up."))
        return redirect(next_url or reverse("accounts:mfa_overview"))
    # Showing the page creates (or reuses) the pending device: the QR code needs its key.
    device = services.start_totp_enrolment(actor=user)
    form = ConfirmTOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = services.confirm_totp_enrolment(
                actor=user, code=form.cleaned_data["code"], request=request
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            # This session has just proved the second factor.
            django_otp.login(request, enrolment.device)
            messages.success(request, _("Two-factor authentication is on."))
            if enrolment.backup_codes:
                fresh_codes.remember(request, enrolment.backup_codes)
                return redirect(with_next(reverse("accounts:mfa_backup_codes"), next_url))
            return redirect(next_url or reverse("accounts:mfa_overview"))
    uri = otpauth_uri(device)
    context = {
        "form": form,
        "qr_src": qr_data_uri(uri),
        "manual_key": manual_key(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "account_label": user.get_username(),
        "required": mfa_required(user),
        "role": role_of(user),
        "next": next_url,
    }
    return render(request, "accounts/mfa/totp_setup.html", context)


# --------------------------------------------------------------------------
# Backup codes
# --------------------------------------------------------------------------


@require_safe
@never_cache
@login_required
@verified_session
def mfa_backup_codes(request: HtmxRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    if confirmed_totp_device(user) is None:
        return redirect("accounts:mfa_overview")
    fresh = fresh_codes.peek(request)
    show = fresh is not None and not fresh.shown
    if show:
        fresh_codes.mark_shown(request)
    context = {
        "codes": [fresh_codes.display(code) for code in fresh.codes] if fresh and show else [],
        "fresh": fresh,
        "remaining": backup_codes_left(user),
        "next": next_url_from(request),
    }
    return render(request, "accounts/mfa/backup_codes.html", context)


@require_POST
@login_required
@verified_session
def mfa_backup_codes_regenerate(request: HtmxRequest) -> HttpResponseBase:
    try:
        codes = services.regenerate_backup_codes(actor=signed_in_user(request), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("accounts:mfa_overview")
    fresh_codes.remember(request, codes)
    messages.success(request, _("New backup codes are ready. Your old codes no longer work."))
    return redirect("accounts:mfa_backup_codes")


@require_safe
@never_cache
@login_required
@verified_session
def mfa_backup_codes_download(request: HtmxRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    fresh = fresh_codes.peek(request)
    if fresh is None:
        minutes = fresh_codes.WINDOW // 60
        messages.error(
            request,
            ngettext(
                "Backup codes can only be downloaded within %(minutes)d minute of being "
                "generated. Generate new ones to get a file.",
                "Backup codes can only be downloaded within %(minutes)d minutes of being "
                "generated. Generate new ones to get a file.",
                minutes,
            )
            % {"minutes": minutes},
        )
        return redirect("accounts:mfa_backup_codes")
    generated = timezone.localtime(timezone.now()).strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        _("%(site_name)s backup codes for %(email)s")
        % {"site_name": settings.SITE_NAME, "email": user.email},
        _("Generated %(when)s") % {"when": generated},
        "",
        _("Each code signs you in once, when you cannot use your authenticator app."),
        _("Keep this file somewhere safe, away from your phone."),
        "",
        *(fresh_codes.display(code) for code in fresh.codes),
        "",
    ]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="inkwell-backup-codes.txt"'
    return response


# --------------------------------------------------------------------------
# Email codes, trusted browser, turning 2FA off
# --------------------------------------------------------------------------


@require_POST
@login_required
@verified_session
@vary_on_headers("HX-Request")
def mfa_email_fallback(request: HtmxRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    enable = request.POST.get("action") == "enable"
    error_text = ""
    try:
        if enable:
            services.enable_email_fallback(actor=user, request=request)
            done = _("Email codes are on: you can ask for a code by email when you sign in.")
        else:
            services.disable_email_fallback(actor=user, request=request)
            done = _("Email codes are off.")
    except ValidationError as error:
        error_text = " ".join(error.messages)
    if wants_partial(request):
        context = {
            **_overview_context(request, user),
            "email_notice": done if not error_text else "",
            "email_error": error_text,
        }
        return render_page_or_partial(
            request, "accounts/mfa/overview.html", "email-fallback", context
        )
    if error_text:
        messages.error(request, error_text)
    else:
        messages.success(request, done)
    return redirect("accounts:mfa_overview")


@require_POST
@login_required
def mfa_forget_browser(request: HtmxRequest) -> HttpResponseBase:
    response = redirect("accounts:mfa_overview")
    forget_browser(response)
    messages.success(request, _("This browser will ask for a code at your next sign-in."))
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@login_required
@verified_session
def mfa_disable(request: HtmxRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    if not has_confirmed_device(user):
        return redirect("accounts:mfa_overview")
    form = DisableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.disable_mfa(
                actor=user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
            fresh_codes.forget(request)
            messages.success(request, _("Two-factor authentication is off."))
            if mfa_required(user):
                messages.warning(
                    request,
                    _(
                        "Your role requires two-factor authentication: set it up again "
                        "before you use the dashboard or the admin."
                    ),
                )
            response = redirect("accounts:mfa_overview")
            forget_browser(response)
            return response
    context = {"form": form, "required": mfa_required(user), "role": role_of(user)}
    return render(request, "accounts/mfa/disable.html", context)
