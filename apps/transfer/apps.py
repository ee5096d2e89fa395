from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "apps.transfer"
    label = "transfer"
    verbose_name = "Imports and exports"
    default_auto_field = "django.db.models.BigAutoField"
