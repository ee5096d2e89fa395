"""The per-user notification route: /ws/notifications/ (style.md §4: a thin consumer).

It authenticates (session, or JWT through apps.api.ws_auth; both set scope["user"]),
joins the user's group, sends the current unread count, and relays the events that
`apps.notifications.broadcasts` sends. It never writes: marking read goes over HTTP.
Format, ping/pong, relaying and leaving the group come from
`apps.core.live.ReadOnlyLiveConsumer`.

Query: `format=json` (the mobile app gets each event's `data`; browsers get the `html`
that htmx's ws extension swaps into the header bell).

Close codes, sent after the handshake so the client can read them (a refused handshake
reaches a browser as 1006, which htmx's ws extension would retry forever):
4401 not signed in or bad token, 4400 malformed query.

Inbound: {"type": "ping"} → {"type": "pong"}; anything else → {"type": "error", "code":
"malformed" | "read_only", "message": …}; the socket stays open.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from apps.accounts.models import User
from apps.core.live import CLOSE_BAD_TOKEN, Query, ReadOnlyLiveConsumer
from apps.notifications import broadcasts


class NotificationsConsumer(ReadOnlyLiveConsumer):
    """One signed-in client (a browser tab or the app): joins the user's group and relays."""

    read_only_message = "This socket only delivers notifications; mark them read over HTTP."

    async def start(self, query: Query) -> None:
        user = self.scope.get("user")
        if not (isinstance(user, User) and user.is_authenticated and user.is_active):
            await self.close(code=CLOSE_BAD_TOKEN)
            return
        # Join before counting, so a notification created in between is not missed.
        await self.join(broadcasts.notifications_group(user.pk))
        await self.forward(await database_sync_to_async(broadcasts.unread_event)(user.pk))

    # Events from apps.notifications.broadcasts ("notification.created" → notification_created).
    notification_created = ReadOnlyLiveConsumer.forward
    notification_unread = ReadOnlyLiveConsumer.forward
