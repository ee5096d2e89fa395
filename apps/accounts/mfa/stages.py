"""The second factor as an allauth login stage: after the password, before the session."""

from __future__ import annotations

from typing import Any

from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response

from apps.accounts.mfa.selectors import has_confirmed_device
from apps.accounts.mfa.trust import trusted_device


class OTPStage(LoginStage):  # type: ignore[misc]  # allauth is untyped
    """Ask for a code when the user has a confirmed device, unless this browser is trusted.

    The stage runs before allauth signs the user in, so there is no session user
    to verify yet. Setting `user.otp_device` is django-otp's own hand-over:
    its `user_logged_in` receiver calls `django_otp.login()` the moment allauth
    completes the login, which marks the new session verified.
    """

    key = "inkwell_otp"
    urlname = "accounts:mfa_verify"

    def handle(self) -> tuple[Any, bool]:
        user = self.login.user
        if user is None or not has_confirmed_device(user):
            return None, True
        device = trusted_device(self.request, user)
        if device is not None:
            user.otp_device = device
            return None, True
        self.state["required"] = True
        return headed_redirect_response(self.urlname), True
