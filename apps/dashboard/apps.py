from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The editor and admin UI: views that call the other apps' services; no domain logic."""

    name = "apps.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"
