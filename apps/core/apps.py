from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from apps.core import (
            checks,  # noqa: F401  (registers the deploy checks)
            personal,
        )
        from apps.core.logging import configure_logging

        configure_logging()
        personal.register("account", personal.template_filler("_account_nav.html"))
