"""WSGI entry point: production serves pages and the API here, `/ws/` through ASGI."""

import os
import sys

# In production, development tools that the production lock does not install, but that
# structlog imports whenever they are there (its Twisted integration, rich tracebacks for
# the console renderer): a page worker started from a development venv (`make bench`) would
# carry about 5 MiB of them that production never loads. JSON logs need neither. Jinja2
# (development only too) would come in through django.test, which django-components
# imports: another 1.7 MiB a worker.
# OpenTelemetry likewise: redis-py imports its SDK whenever it is installed (about 2.4 MiB a
# worker), though only tracing uses it, and tracing is off without an OTLP endpoint.
# (Development settings install daphne, which needs Twisted: nothing is held back there.)
_unused: list[str] = []
if os.environ.get("DJANGO_ENV") == "production":
    _unused += ["twisted", "rich", "jinja2"]
if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
    _unused.append("opentelemetry")
for _name in _unused:
    if _name not in sys.modules:
        sys.modules[_name] = None  # type: ignore[assignment]  # "not installed"

from apps.core import multiproc  # noqa: E402

# A worker process of the server: shares PROMETHEUS_MULTIPROC_DIR (before any metric exists).
multiproc.configure(multiproc.SERVER)

from django.core.wsgi import get_wsgi_application  # noqa: E402

from apps.core.bodies import require_complete_bodies  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

# granian hands a body cut short by the client to the application as if complete.
_django = require_complete_bodies(get_wsgi_application())

from apps.accounts.replay import serve_member_pages  # noqa: E402
from apps.core.replay import serve_stored_pages  # noqa: E402  (needs Django set up)

# Repeated anonymous hits on a stored page are answered before Django (apps/core/replay.py),
# and so are a signed-in reader's repeated member pages (apps/accounts/replay.py).
application = serve_member_pages(serve_stored_pages(_django))

from apps.core.warmup import freeze_loaded_application  # noqa: E402  (needs Django set up)

freeze_loaded_application()
