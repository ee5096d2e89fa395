"""Second-factor routes, included at /accounts/security/ in the "accounts" namespace."""

from django.urls import path

from apps.accounts.mfa import views

urlpatterns = [
    path("", views.mfa_overview, name="mfa_overview"),
    path("authenticator/", views.mfa_totp_setup, name="mfa_totp_setup"),
    path("backup-codes/", views.mfa_backup_codes, name="mfa_backup_codes"),
    path(
        "backup-codes/regenerate/",
        views.mfa_backup_codes_regenerate,
        name="mfa_backup_codes_regenerate",
    ),
    path(
        "backup-codes/download/",
        views.mfa_backup_codes_download,
        name="mfa_backup_codes_download",
    ),
    path("email-codes/", views.mfa_email_fallback, name="mfa_email_fallback"),
    path("forget-browser/", views.mfa_forget_browser, name="mfa_forget_browser"),
    path("disable/", views.mfa_disable, name="mfa_disable"),
    path("verify/", views.mfa_verify, name="mfa_verify"),
    path("verify/email/", views.mfa_send_email_code, name="mfa_send_email_code"),
]
