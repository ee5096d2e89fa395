from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from apps.core import (
            checks,  # noqa: F401  (registers the deploy checks)
            personal,
        )
        from apps.core.logging import configure_logging

        configure_logging()
        self._metrics()
        if settings.TRACING_ENABLED:
            from apps.core import tracing

            tracing.configure(settings.OTEL_SERVICE_NAME)
        personal.register("account", personal.template_filler("_account_nav.html"))

    @staticmethod
    def _metrics() -> None:
        import structlog

        from apps.core import metrics, multiproc

        metrics.connect_signals()
        if multiproc.fallback_reason is not None:
            structlog.get_logger("inkwell.metrics").warning(
                "metrics.per_process_fallback",
                reason=multiproc.fallback_reason,
                detail="/metrics reports this process only, not the sum over the workers",
            )
