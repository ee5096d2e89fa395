from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from apps.analytics import receivers

        # allauth announces sign-ups by a signal (accounts sits below analytics).
        user_signed_up.connect(receivers.signed_up, dispatch_uid="analytics.signed_up")
