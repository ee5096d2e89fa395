"""The per-user notification route: /ws/notifications/ (style.md §4: a thin consumer).

It authenticates (session, or JWT through apps.api.ws_auth; both set scope["user"]),
joins the user's group, sends the current unread count, and relays the events that
`apps.notifications.broadcasts` sends. It never writes: marking read goes over HTTP.

Query: `format=json` (the mobile app gets each event's `data`; browsers get the `html`
that htmx's ws extension swaps into the header bell).

Close codes, sent after the handshake so the client can read them (a refused handshake
reaches a browser as 1006, which htmx's ws extension would retry forever):
4401 not signed in or bad token, 4400 malformed query.

Inbound: {"type": "ping"} → {"type": "pong"}; anything else → {"type": "error", "code":
"malformed" | "read_only", "message": …}; the socket stays open.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.accounts.models import User
from apps.notifications import broadcasts
from apps.notifications.broadcasts import NotificationEvent

CLOSE_MALFORMED_QUERY = 4400
CLOSE_UNAUTHENTICATED = 4401


def wants_json(query_string: bytes) -> bool | None:
    """True for `format=json`, False for html or no format; None if the query is malformed."""
    try:
        formats = parse_qs(query_string.decode("ascii")).get("format", ["html"])
    except UnicodeDecodeError:
        return None
    if len(formats) != 1 or formats[0] not in {"html", "json"}:
        return None
    return formats[0] == "json"


class NotificationsConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """One signed-in client (a browser tab or the app): joins the user's group and relays."""

    group: str | None = None
    wants_json = False

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        signed_in = isinstance(user, User) and user.is_authenticated and user.is_active
        if self.scope.get("auth_error") or not signed_in:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        json_format = wants_json(self.scope.get("query_string", b""))
        if json_format is None:
            await self.close(code=CLOSE_MALFORMED_QUERY)
            return
        self.wants_json = json_format
        # Join before counting, so a notification created in between is not missed.
        self.group = broadcasts.notifications_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self._forward(await database_sync_to_async(broadcasts.unread_event)(user.pk))

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        try:
            message = json.loads(text_data) if text_data is not None else None
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self.send_json(
                {
                    "type": "error",
                    "code": "malformed",
                    "message": 'Send JSON text frames such as {"type": "ping"}.',
                }
            )
        elif message.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json(
                {
                    "type": "error",
                    "code": "read_only",
                    "message": "This socket only delivers notifications; mark them read over HTTP.",
                }
            )

    # Events from apps.notifications.broadcasts ("notification.created" → notification_created).

    async def notification_created(self, event: NotificationEvent) -> None:
        await self._forward(event)

    async def notification_unread(self, event: NotificationEvent) -> None:
        await self._forward(event)

    async def _forward(self, event: NotificationEvent) -> None:
        if self.wants_json:
            await self.send_json(event["data"])
        else:
            await self.send(text_data=event["html"])
