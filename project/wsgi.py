"""WSGI entry point: production serves pages and the API here, `/ws/` through ASGI."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

application = get_wsgi_application()

from apps.core.warmup import freeze_loaded_application  # noqa: E402  (needs Django set up)

freeze_loaded_application()
