"""WebSocket origin check that protects browsers without locking out native apps.

Browsers always send `Origin` on a WebSocket handshake, and a page on another site
could otherwise open a socket that carries our reader's session cookie (cross-site
WebSocket hijacking); Channels' AllowedHostsOriginValidator refuses those. Native
clients (the mobile app) send no `Origin` at all and authenticate with a bearer token,
not a cookie, so a handshake without the header has nothing to hijack: it is let
through, and the consumers treat it as anonymous unless it carries a valid token.
"""

from __future__ import annotations

from typing import Any

from channels.security.websocket import AllowedHostsOriginValidator


class BrowserOriginValidator:
    """Check `Origin` against ALLOWED_HOSTS when present; pass native clients through."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.checked = AllowedHostsOriginValidator(application)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        has_origin = any(name == b"origin" for name, _ in scope.get("headers", []))
        if has_origin:
            return await self.checked(scope, receive, send)
        # No cookie-borne identity may ride a handshake that no browser would make.
        scope = {**scope, "headers": [(n, v) for n, v in scope["headers"] if n != b"cookie"]}
        return await self.application(scope, receive, send)


CLOSE_UNKNOWN_ROUTE = 4404


async def close_unknown_route(scope: Any, receive: Any, send: Any) -> None:
    """Accept, then close with 4404: no live route has this path.

    The last route: Channels' URLRouter raises for a path no route matches, which the
    server answers with a 500 and a traceback. A code the client can read, after the
    handshake, is what the consumers' own refusals send too.
    """
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": CLOSE_UNKNOWN_ROUTE})
