from django.apps import AppConfig


class CommentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.comments"
    label = "comments"

    def ready(self) -> None:
        from apps.comments.regions import comment_form
        from apps.core import personal

        personal.register("comment-form", comment_form)
