"""ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSocket handshakes, outermost first (the edge is apps.core.websocket): a browser's
origin must be the site's own, scheme, host (one of ALLOWED_HOSTS) and port alike, or
one of CSRF_TRUSTED_ORIGINS (this stops other sites from opening sockets with a reader's
cookies; a handshake without `Origin` is a native client and loses any cookie), then the
session (browsers), then a JWT (the mobile app: `JWTAuthMiddleware` replaces
scope["user"] when a token is sent and marks a bad one with scope["auth_error"], which
the consumers answer with close code 4401). A path no route matches is accepted and
closed with 4404.
"""

import os

from django.core.asgi import get_asgi_application

from apps.core import multiproc

# A worker process of the server: shares PROMETHEUS_MULTIPROC_DIR (before any metric exists).
multiproc.configure(multiproc.SERVER)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from apps.api.ws_auth import JWTAuthMiddleware  # noqa: E402
from apps.comments.routing import websocket_urlpatterns as comments_ws  # noqa: E402
from apps.core.warmup import freeze_loaded_application  # noqa: E402
from apps.core.websocket import (  # noqa: E402
    AuthMiddlewareStack,
    BrowserOriginValidator,
    LiveSocketGuard,
    close_unknown_route,
)
from apps.notifications.routing import websocket_urlpatterns as notifications_ws  # noqa: E402

# Any other path is answered with close code 4404, not a 500 from the router.
websocket_routes = URLRouter(
    [
        *comments_ws,
        *notifications_ws,
        re_path(r"", close_unknown_route),  # type: ignore[arg-type]  # an ASGI app, not a view
    ]
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": LiveSocketGuard(
            BrowserOriginValidator(AuthMiddlewareStack(JWTAuthMiddleware(websocket_routes)))
        ),
    }
)

freeze_loaded_application()
