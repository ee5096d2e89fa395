from django.apps import AppConfig


class ThemeConfig(AppConfig):
    """Holds the Tailwind sources (static_src/) and the built CSS (static/css/dist/)."""

    name = "apps.theme"
    label = "theme"
