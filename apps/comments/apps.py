from django.apps import AppConfig


class CommentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.comments"
    label = "comments"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed, user_signed_up

        from apps.comments import receivers
        from apps.comments.regions import comment_form
        from apps.core import personal

        personal.register("comment-form", comment_form)
        # Imported guest comments go to the account that proves their address.
        user_signed_up.connect(receivers.signed_up, dispatch_uid="comments.signed_up")
        email_confirmed.connect(receivers.email_confirmed, dispatch_uid="comments.email_confirmed")
