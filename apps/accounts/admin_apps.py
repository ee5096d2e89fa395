"""The Django admin, on a site that requires a verified second factor (apps.accounts.mfa)."""

from django.contrib.admin.apps import AdminConfig


class InkwellAdminConfig(AdminConfig):
    default_site = "apps.accounts.mfa.admin_site.InkwellAdminSite"
