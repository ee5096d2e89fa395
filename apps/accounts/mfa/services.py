"""Second-factor writes: enrol, confirm, verify, backup codes, email codes, turn off.

Every security event is audited through `record_event`. Services that check a
code are not wrapped in one transaction as a whole: a rejected code must still
count against django-otp's throttle and reach the audit log, and raising inside
a single transaction would roll both back. Their device work runs in an inner
`transaction.atomic()` block (with the devices locked), and the rejection is
recorded and raised after it.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext
from django_otp.models import Device
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.audit import Kind, record_event
from apps.accounts.mfa.selectors import (
    BACKUP_CODE_COUNT,
    backup_code_digest,
    backup_code_was_used,
    confirmed_totp_device,
    email_code_pending,
    pending_totp_device,
)
from apps.accounts.models import User
from apps.accounts.permissions import require
from apps.accounts.selectors import has_verified_email

_DIGITS = re.compile(r"^\d{6,8}$")
# Ours are ten characters of lower-case base32; django-otp's own tools make eight.
_BACKUP = re.compile(r"^[a-z0-9]{8,16}$")
_BACKUP_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
BACKUP_CODE_LENGTH = 10
# settings.OTP_EMAIL_SUBJECT's default, so that its translation is in the catalog.
gettext_noop("Your sign-in code")

MESSAGES = {
    "malformed": gettext_lazy(
        "Enter the 6-digit code from your authenticator app, or one of your backup codes."
    ),
    "wrong_code": gettext_lazy(
        "That code is wrong or has expired. Enter the newest code and try again."
    ),
    "wrong_backup_code": gettext_lazy("That backup code is not valid. Check it for typos."),
    "reused_backup_code": (
        gettext_lazy(
            "That backup code has already been used. Each backup code works only once: use another one."
        )
    ),
}


@dataclass(frozen=True)
class Enrolment:
    """A confirmed authenticator and the backup codes issued with it (empty if kept)."""

    device: TOTPDevice
    backup_codes: list[str]


def normalise_code(code: str) -> str:
    """A typed code without spaces or hyphens, lower-cased (backup codes are case-blind)."""
    return "".join(code.split()).replace("-", "").lower()


def _seconds_until(moment: datetime) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds()))


def _throttled_message(until: datetime) -> str:
    seconds = _seconds_until(until)
    return ngettext(
        "Too many wrong codes. Wait %(seconds)d second, then try again.",
        "Too many wrong codes. Wait %(seconds)d seconds, then try again.",
        seconds,
    ) % {"seconds": seconds}


def _reject(
    *,
    user: User,
    reason: str,
    message: str,
    purpose: str,
    request: HttpRequest | None,
) -> ValidationError:
    record_event(
        kind=Kind.MFA_FAILED,
        actor=user,
        target=user,
        request=request,
        data={"reason": reason, "purpose": purpose},
    )
    return ValidationError(message, code=reason)


def new_backup_code() -> str:
    """A random backup code: ten base32 characters, 50 bits."""
    return "".join(secrets.choice(_BACKUP_ALPHABET) for _i in range(BACKUP_CODE_LENGTH))


def _issue_backup_codes(user: User) -> list[str]:
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < BACKUP_CODE_COUNT:
        codes.add(new_backup_code())
    ordered = sorted(codes)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in ordered)
    device.throttle_reset()
    return ordered


@transaction.atomic
def start_totp_enrolment(*, actor: User) -> TOTPDevice:
    """The actor's pending authenticator with a fresh key, reused until confirmed."""
    if confirmed_totp_device(actor) is not None:
        raise ValidationError(_("Your authenticator app is already set up."))
    device = pending_totp_device(actor)
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name="Authenticator app", confirmed=False)
    return device


def confirm_totp_enrolment(
    *, actor: User, code: str, request: HttpRequest | None = None
) -> Enrolment:
    """Confirm the pending authenticator with a current code; issue backup codes if none."""
    token = normalise_code(code)
    throttled_until: datetime | None = None
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=actor, confirmed=True).exists():
            raise ValidationError(_("Your authenticator app is already set up."))
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=actor, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise ValidationError(_("This setup has expired. Start again."), code="no_pending")
        allowed, info = device.verify_is_allowed()
        if not allowed:
            throttled_until = info["locked_until"]
        elif _DIGITS.match(token) and device.verify_token(token):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
            has_codes = StaticToken.objects.filter(
                device__user=actor, device__confirmed=True
            ).exists()
            codes = [] if has_codes else _issue_backup_codes(actor)
            record_event(
                kind=Kind.MFA_ENROLLED,
                actor=actor,
                target=actor,
                request=request,
                data={"method": "totp", "backup_codes": len(codes)},
            )
            return Enrolment(device=device, backup_codes=codes)
    if throttled_until is not None:
        raise _reject(
            user=actor,
            reason="throttled",
            message=_throttled_message(throttled_until),
            purpose="enrol",
            request=request,
        )
    reason = "wrong_code" if _DIGITS.match(token) else "malformed"
    message = (
        str(MESSAGES["wrong_code"])
        if reason == "wrong_code"
        else _("Enter the 6-digit code your authenticator app shows.")
    )
    raise _reject(user=actor, reason=reason, message=message, purpose="enrol", request=request)


def _candidates(user: User, token: str) -> list[Device]:
    """The devices a code of this shape may belong to, locked for verification."""
    if not _DIGITS.match(token):
        if _BACKUP.match(token):
            return list(StaticDevice.objects.select_for_update().filter(user=user, confirmed=True))
        return []
    # A code we emailed is tried first: someone who asked for one is typing it.
    emailed = [
        device
        for device in EmailDevice.objects.select_for_update().filter(user=user, confirmed=True)
        if email_code_pending(device)
    ]
    apps = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
    return [*emailed, *apps]


def verify_second_factor(
    *, user: User, code: str, purpose: str, request: HttpRequest | None = None
) -> Device:
    """Check a code from the app, an email or a backup code; return the device that took it.

    A wrong, reused or throttled code changes nothing but django-otp's throttle and
    is audited as MFA_FAILED; a backup code is spent and audited as BACKUP_CODE_USED.
    """
    token = normalise_code(code)
    throttled_until: datetime | None = None
    tried_backup = False
    with transaction.atomic():
        for device in _candidates(user, token):
            allowed, info = device.verify_is_allowed()
            if not allowed:
                until = info["locked_until"]
                throttled_until = until if throttled_until is None else max(throttled_until, until)
                continue
            if isinstance(device, StaticDevice):
                tried_backup = True
            if device.verify_token(token):
                if isinstance(device, StaticDevice):
                    record_event(
                        kind=Kind.BACKUP_CODE_USED,
                        actor=user,
                        target=user,
                        request=request,
                        data={
                            "code_digest": backup_code_digest(user, token),
                            "remaining": device.token_set.count(),
                            "purpose": purpose,
                        },
                    )
                return device
    if throttled_until is not None:
        reason, message = "throttled", _throttled_message(throttled_until)
    elif tried_backup or (_BACKUP.match(token) and not _DIGITS.match(token)):
        reason = (
            "reused_backup_code"
            if tried_backup and backup_code_was_used(user, token)
            else "wrong_backup_code"
        )
        message = str(MESSAGES[reason])
    elif _DIGITS.match(token):
        reason, message = "wrong_code", str(MESSAGES["wrong_code"])
    else:
        reason, message = "malformed", str(MESSAGES["malformed"])
    raise _reject(user=user, reason=reason, message=message, purpose=purpose, request=request)


@transaction.atomic
def regenerate_backup_codes(*, actor: User, request: HttpRequest | None = None) -> list[str]:
    """Replace the actor's backup codes with ten new ones; the old ones stop working."""
    if confirmed_totp_device(actor) is None:
        raise ValidationError(_("Turn on two-factor authentication first."))
    codes = _issue_backup_codes(actor)
    record_event(
        kind=Kind.BACKUP_CODES_REGENERATED,
        actor=actor,
        target=actor,
        request=request,
        data={"count": len(codes)},
    )
    return codes


@transaction.atomic
def enable_email_fallback(*, actor: User, request: HttpRequest | None = None) -> EmailDevice:
    """Let the actor receive sign-in codes at their verified email address."""
    if confirmed_totp_device(actor) is None:
        raise ValidationError(_("Set up an authenticator app first; email codes are a fallback."))
    if not has_verified_email(actor):
        raise ValidationError(
            _(
                "Confirm your email address first: we only send codes to an address you have "
                "verified."
            )
        )
    device = EmailDevice.objects.filter(user=actor, confirmed=True).first()
    if device is not None:
        return device
    # No stored address: codes follow the account's current (verified) email.
    device = EmailDevice.objects.create(user=actor, name="Email", confirmed=True, email=None)
    record_event(
        kind=Kind.MFA_ENROLLED, actor=actor, target=actor, request=request, data={"method": "email"}
    )
    return device


@transaction.atomic
def disable_email_fallback(*, actor: User, request: HttpRequest | None = None) -> None:
    """Stop offering email codes to the actor."""
    deleted, _details = EmailDevice.objects.filter(user=actor).delete()
    if deleted:
        record_event(
            kind=Kind.MFA_DISABLED,
            actor=actor,
            target=actor,
            request=request,
            data={"method": "email"},
        )


def _email_code(*, to: str, subject: str, body: str) -> None:
    send_mail(subject, body, None, [to])


@transaction.atomic
def send_email_code(*, user: User, request: HttpRequest | None = None) -> EmailDevice:
    """Email the user a one-time sign-in code, unless one was sent within the cooldown."""
    device = EmailDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        raise ValidationError(_("Email codes are not turned on for this account."), code="off")
    allowed, info = device.generate_is_allowed()
    if not allowed:
        seconds = _seconds_until(info["next_generation_at"])
        raise ValidationError(
            ngettext(
                "We sent you a code moments ago. You can ask for another in %(seconds)d second.",
                "We sent you a code moments ago. You can ask for another in %(seconds)d seconds.",
                seconds,
            )
            % {"seconds": seconds},
            code="cooldown",
        )
    validity = int(settings.OTP_EMAIL_TOKEN_VALIDITY)
    device.cooldown_set(commit=False)
    device.generate_token(valid_secs=validity, commit=True)
    context: dict[str, Any] = {
        "token": device.token,
        "minutes": max(1, validity // 60),
        "site_name": settings.SITE_NAME,
        "user": user,
    }
    transaction.on_commit(
        partial(
            _email_code,
            to=device.email or user.email,
            # The default subject is in the catalog (below); a custom one is used as written.
            subject=_(str(settings.OTP_EMAIL_SUBJECT)),
            body=render_to_string("accounts/mfa/email_code.txt", context),
        )
    )
    return device


def disable_mfa(
    *, actor: User, password: str, code: str, request: HttpRequest | None = None
) -> None:
    """Turn two-factor off: needs the password and a current code; removes every device."""
    if not actor.has_usable_password():
        raise ValidationError(
            {"password": _("Set a password for your account first, then turn two-factor off.")}
        )
    if not actor.check_password(password):
        raise ValidationError(
            {
                "password": _reject(
                    user=actor,
                    reason="wrong_password",
                    message=_("That password is not right."),
                    purpose="disable",
                    request=request,
                )
            }
        )
    try:
        verify_second_factor(user=actor, code=code, purpose="disable", request=request)
    except ValidationError as error:
        raise ValidationError({"code": error}) from error
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor).delete()
        StaticDevice.objects.filter(user=actor).delete()
        EmailDevice.objects.filter(user=actor).delete()
        record_event(kind=Kind.MFA_DISABLED, actor=actor, target=actor, request=request)


@transaction.atomic
def reset_mfa(*, actor: User, user: User, request: HttpRequest | None = None) -> None:
    """An admin turns off someone else's second factor (a lost phone and lost backup codes)."""
    require(actor, "users.manage")
    if actor.pk == user.pk:
        raise ValidationError(
            _("Turn off your own two-factor authentication on your security page.")
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    EmailDevice.objects.filter(user=user).delete()
    record_event(
        kind=Kind.MFA_DISABLED,
        actor=actor,
        target=user,
        request=request,
        data={"reset_by_admin": True},
    )
