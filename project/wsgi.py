"""WSGI entry point: production serves pages and the API here, `/ws/` through ASGI."""

import os

from django.core.wsgi import get_wsgi_application

from apps.core.bodies import require_complete_bodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

# granian hands a body cut short by the client to the application as if complete.
_django = require_complete_bodies(get_wsgi_application())

from apps.core.replay import serve_stored_pages  # noqa: E402  (needs Django set up)

# Repeated anonymous hits on a stored page are answered before Django (apps/core/replay.py).
application = serve_stored_pages(_django)

from apps.core.warmup import freeze_loaded_application  # noqa: E402  (needs Django set up)

freeze_loaded_application()
