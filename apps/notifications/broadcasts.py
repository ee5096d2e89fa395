"""Group names and events for the per-user notification route (the only group_send caller here).

Each signed-in user's sockets (every tab, the mobile app) join `notifications_group(id)`.
Events carry `html` for htmx's ws extension (out-of-band swaps of the header bell) and
`data` for the mobile app; the consumer relays one or the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import structlog
from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.db.models import Count, Q
from django.template.loader import render_to_string
from redis.exceptions import RedisError

from apps.notifications.models import Notification

logger = structlog.get_logger("inkwell.notifications")

CREATED = "notification.created"
UNREAD = "notification.unread"

# What a broken channel layer raises (Redis down, timeouts, a full channel). Anything
# else is a bug and should surface in the logs of the caller's robust on_commit.
_LAYER_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError, ChannelFull)


def notifications_group(user_id: int) -> str:
    """The channel group every socket of one signed-in user joins."""
    return f"notifications.user.{user_id}"


class NotificationEvent(TypedDict):
    """What group_send carries: `html` for htmx's ws extension, `data` for the mobile app."""

    type: str
    html: str
    data: dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def notification_data(notification: Notification) -> dict[str, Any]:
    """The JSON shape of one notification (the mobile app's and the API's)."""
    actor = notification.actor
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": notification.text,
        "url": notification.url,
        "actor": {"username": actor.username, "name": actor.name} if actor is not None else None,
        "post": notification.post_id,
        "comment": notification.comment_id,
        "created_at": _iso(notification.created_at),
        "read": notification.is_read,
    }


def unread_event(user_id: int, unread: int | None = None) -> NotificationEvent:
    """The badge's new count, as an out-of-band swap and as data."""
    if unread is None:
        unread = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
    html = render_to_string("notifications/_count.html", {"unread": unread, "oob": True})
    return {"type": UNREAD, "html": html, "data": {"type": UNREAD, "unread": unread}}


def created_event(notification: Notification, unread: int) -> NotificationEvent:
    """A new notification: the badge, the dropdown's new first item and the announcement."""
    html = render_to_string(
        "notifications/_created_event.html", {"notification": notification, "unread": unread}
    )
    data = {"type": CREATED, "notification": notification_data(notification), "unread": unread}
    return {"type": CREATED, "html": html, "data": data}


def _send(group: str, event: NotificationEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except _LAYER_ERRORS:
        # The notification is stored; the page shows it on the next load. Never re-raise.
        logger.exception("notifications.broadcast_failed", group=group, event_type=event["type"])


def notifications_created(notification_ids: list[int]) -> None:
    """Push each new notification to its recipient's sockets (run after commit)."""
    notifications = list(
        Notification.objects.filter(pk__in=notification_ids)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    recipients = {n.recipient_id for n in notifications}
    counts = dict(
        Notification.objects.filter(recipient_id__in=recipients)
        .values("recipient_id")
        .annotate(unread=Count("pk", filter=Q(read_at__isnull=True)))
        .values_list("recipient_id", "unread")
        .order_by()
    )
    for notification in notifications:
        event = created_event(notification, counts.get(notification.recipient_id, 0))
        _send(notifications_group(notification.recipient_id), event)


def unread_changed(user_id: int) -> None:
    """Tell every socket of the user the new unread count (after marking read)."""
    _send(notifications_group(user_id), unread_event(user_id))
