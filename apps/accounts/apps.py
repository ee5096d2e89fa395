from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from apps.accounts import signals  # noqa: F401  (connects the audit receivers)
        from apps.accounts.regions import follow_region
        from apps.core import personal

        personal.register("follow", follow_region)
