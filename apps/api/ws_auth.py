"""Access tokens for WebSockets: the mobile app's live comments and notifications.

Wrap the WebSocket router with it, inside the session auth stack:

    AuthMiddlewareStack(JWTAuthMiddleware(URLRouter(...)))

A handshake with `Authorization: Bearer <access token>` or `?access_token=<token>`
gets the token's user in `scope["user"]`. A bad, expired or revoked token gets
`AnonymousUser()` and `scope["auth_error"] = "invalid_token"` (consumers may close
with 4401). Without a token the scope is left alone: the session's user stays.
The check is apps.accounts.tokens.user_for_access_token, the same as the HTTP API's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from apps.accounts.models import User
from apps.accounts.tokens import TokenError, user_for_access_token

Scope = dict[str, Any]


def token_from_scope(scope: Scope) -> str | None:
    """The access token a handshake carries (header first, then the query string), if any."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("access_token")
    return str(values[0]) if values and values[0] else None


def _user_for(token: str) -> User | None:
    try:
        return user_for_access_token(token)
    except TokenError:
        return None


class JWTAuthMiddleware:
    """Channels middleware: sets `scope["user"]` from an access token when one is sent."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket":
            token = token_from_scope(scope)
            if token is not None:
                scope = dict(scope)
                # database_sync_to_async: a worker thread that closes stale connections.
                user: User | None = await database_sync_to_async(_user_for)(token)
                if user is None:
                    scope["user"] = AnonymousUser()
                    scope["auth_error"] = "invalid_token"
                else:
                    scope["user"] = user
        return await self.inner(scope, receive, send)
