"""“Trust this browser”: a signed cookie that lets one browser skip the second factor.

The cookie names the user and carries a fingerprint of things that change when
the trust should end: the password hash (a changed or reset password) and the
authenticator's id and key (2FA turned off, or set up again). Django signs it
with its own salt, and it expires after `settings.MFA_TRUST_BROWSER_DAYS`.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.mfa.selectors import confirmed_totp_device
from apps.accounts.models import User

COOKIE_NAME = "inkwell_trusted_browser"
_SALT = "apps.accounts.mfa.trust-browser"


def _max_age() -> timedelta:
    return timedelta(days=settings.MFA_TRUST_BROWSER_DAYS)


def _fingerprint(user: User, device: TOTPDevice) -> str:
    material = f"{user.pk}|{user.password}|{device.pk}|{device.key}"
    return salted_hmac(_SALT, material, algorithm="sha256").hexdigest()


def trust_browser(response: HttpResponseBase, *, user: User, device: TOTPDevice) -> None:
    """Let this browser skip the second factor for the configured number of days."""
    response.set_signed_cookie(
        COOKIE_NAME,
        f"{user.pk}:{_fingerprint(user, device)}",
        salt=_SALT,
        max_age=int(_max_age().total_seconds()),
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


def forget_browser(response: HttpResponseBase) -> None:
    """Remove the trust cookie, so the next sign-in asks for a code again."""
    response.delete_cookie(COOKIE_NAME, samesite="Lax")


def trusted_device(request: HttpRequest, user: User) -> TOTPDevice | None:
    """The authenticator a valid trust cookie vouches for, or None to ask for a code."""
    value = request.get_signed_cookie(COOKIE_NAME, default=None, salt=_SALT, max_age=_max_age())
    if not value:
        return None
    user_id, _, fingerprint = value.partition(":")
    if user_id != str(user.pk):
        return None
    device = confirmed_totp_device(user)
    if device is None or not constant_time_compare(fingerprint, _fingerprint(user, device)):
        return None
    return device
