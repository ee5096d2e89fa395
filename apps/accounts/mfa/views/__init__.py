"""The security page and the second-factor steps: parse → call a service → render."""

from apps.accounts.mfa.views.security import (
    mfa_backup_codes,
    mfa_backup_codes_download,
    mfa_backup_codes_regenerate,
    mfa_disable,
    mfa_email_fallback,
    mfa_forget_browser,
    mfa_overview,
    mfa_totp_setup,
)
from apps.accounts.mfa.views.verify import mfa_send_email_code, mfa_verify

__all__ = [
    "mfa_backup_codes",
    "mfa_backup_codes_download",
    "mfa_backup_codes_regenerate",
    "mfa_disable",
    "mfa_email_fallback",
    "mfa_forget_browser",
    "mfa_overview",
    "mfa_send_email_code",
    "mfa_totp_setup",
    "mfa_verify",
]
