from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "apps.newsletter"
    label = "newsletter"
    verbose_name = "Newsletter"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_delete
        from waffle.models import Switch

        from apps.accounts.models import User
        from apps.newsletter import receivers

        # See apps.newsletter.receivers for why account deletion reaches us by a signal.
        pre_delete.connect(
            receivers.erase_account_subscriber, sender=User, dispatch_uid="newsletter.erase"
        )
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.signup_switch_changed, sender=Switch, dispatch_uid="newsletter.switch"
            )

        # Connects the receivers of anymail's tracking signal (bounces, complaints).
        from apps.newsletter import webhooks  # noqa: F401
