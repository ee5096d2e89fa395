"""WSGI entry point: production serves pages and the API here, `/ws/` through ASGI."""

import os

from django.core.wsgi import get_wsgi_application

from apps.core import multiproc

# A worker process of the server: shares PROMETHEUS_MULTIPROC_DIR (before any metric exists).
multiproc.configure(multiproc.SERVER)

from apps.core.bodies import require_complete_bodies  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

# granian hands a body cut short by the client to the application as if complete.
application = require_complete_bodies(get_wsgi_application())

from apps.core.warmup import freeze_loaded_application  # noqa: E402  (needs Django set up)

freeze_loaded_application()
