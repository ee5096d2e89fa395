"""Version 2 of the JSON API: cursor pagination, embedded objects, `fields=`.

Accounts, taxonomy and authors are v1's routers mounted again (ninja binds a router
per API). Adding a resource is one import and one `add_router` line (see apps.api.base).
"""

from __future__ import annotations

from apps.api.base import InkwellAPI
from apps.api.v1 import auth, me, taxonomy
from apps.api.v2 import analytics, comments, newsletter, notifications, posts

api = InkwellAPI(
    version="v2",
    description=(
        "Inkwell's JSON API, version 2. Authenticate with `Authorization: Bearer <access token>` "
        "from `POST /auth/token`; the API never reads cookies, so it needs no CSRF token. "
        "Lists page with opaque cursors (`next_cursor`); posts embed author, category and "
        "tags, and `fields=` trims them. Errors use one envelope: "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
)
api.add_router("/", auth.router)
api.add_router("/", me.router)
api.add_router("/", posts.router)
api.add_router("/", taxonomy.router)
api.add_router("/", comments.router)
api.add_router("/", notifications.router)
api.add_router("/", newsletter.router)
api.add_router("/", analytics.router)
