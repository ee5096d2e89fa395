"""WSGI entry point: production serves pages and the API here, `/ws/` through ASGI."""

import os
import sys

# Development tools that the production lock does not install, but that structlog imports
# whenever they are there (its Twisted integration, rich tracebacks for the console
# renderer): a page worker started from a development venv (`make bench`) would carry
# about 5 MiB of them that production never loads. JSON logs need neither.
for _dev_only in ("twisted", "rich"):
    if _dev_only not in sys.modules:
        sys.modules[_dev_only] = None  # type: ignore[assignment]  # "not installed"

from django.core.wsgi import get_wsgi_application  # noqa: E402

from apps.core.bodies import require_complete_bodies  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

# granian hands a body cut short by the client to the application as if complete.
_django = require_complete_bodies(get_wsgi_application())

from apps.core.replay import serve_stored_pages  # noqa: E402  (needs Django set up)

# Repeated anonymous hits on a stored page are answered before Django (apps/core/replay.py).
application = serve_stored_pages(_django)

from apps.core.warmup import freeze_loaded_application  # noqa: E402  (needs Django set up)

freeze_loaded_application()
