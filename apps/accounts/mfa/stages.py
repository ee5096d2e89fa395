"""Placeholder: the second-factor login stage (implemented by the MFA work)."""

from allauth.account.stages import LoginStage


class OTPStage(LoginStage):  # type: ignore[misc]
    key = "inkwell_otp"
