"""Version 1 of the JSON API (deprecated in favour of v2; see docs/api/README.md).

Adding a resource is one import and one `add_router` line below (see apps.api.base).
"""

from __future__ import annotations

from apps.api.base import InkwellAPI
from apps.api.v1 import auth, comments, me, notifications, posts, taxonomy

api = InkwellAPI(
    version="v1",
    description=(
        "Inkwell's JSON API, version 1 (deprecated: use v2). Authenticate with "
        "`Authorization: Bearer <access token>` from `POST /auth/token`; the API never reads "
        "cookies, so it needs no CSRF token. Errors use one envelope: "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
)
api.add_router("/", auth.router)
api.add_router("/", me.router)
api.add_router("/", posts.router)
api.add_router("/", taxonomy.router)
api.add_router("/", comments.router)
api.add_router("/", notifications.router)
