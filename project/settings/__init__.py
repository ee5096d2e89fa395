"""Inkwell settings: one package, driven by environment variables.

With nothing set, Inkwell runs on the embedded defaults (SQLite, local-memory
cache, in-memory channel layer, immediate tasks, console email). Setting a
service URL switches that part to its production backend; `DJANGO_ENV=production`
turns on the hardening. Every variable is documented in docs/configuration.md.

Each section is a module, imported here in order; a section imports what it
reads from the earlier section that defines it (BASE_DIR, env, IS_PRODUCTION, …).

This package must import with an empty environment: mypy's Django plugin does.
"""

# The order is the original section order; keep it (isort would sort it).
# isort: off
from project.settings.environment import *  # noqa: F403
from project.settings.apps import *  # noqa: F403
from project.settings.data import *  # noqa: F403
from project.settings.realtime import *  # noqa: F403
from project.settings.tasks import *  # noqa: F403
from project.settings.email import *  # noqa: F403
from project.settings.accounts import *  # noqa: F403
from project.settings.passwords import *  # noqa: F403
from project.settings.i18n import *  # noqa: F403
from project.settings.static import *  # noqa: F403
from project.settings.csp import *  # noqa: F403
from project.settings.logging import *  # noqa: F403
from project.settings.site import *  # noqa: F403
from project.settings.api import *  # noqa: F403
from project.settings.newsletter import *  # noqa: F403
from project.settings.metrics import *  # noqa: F403
from project.settings.analytics import *  # noqa: F403
from project.settings.webhooks import *  # noqa: F403
from project.settings.transfer import *  # noqa: F403
# isort: on
