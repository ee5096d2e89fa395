from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from apps.accounts import signals  # noqa: F401  (connects the audit receivers)
        from apps.accounts.regions import follow_region
        from apps.core import personal

        personal.register("follow", follow_region)
