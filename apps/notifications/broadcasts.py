"""Group names and events for the per-user notification route (sent by `core.live.send_event`).

Each signed-in user's sockets (every tab, the mobile app) join `notifications_group(id)`.
Events carry `html` for htmx's ws extension (out-of-band swaps of the header bell) and
`data` for the mobile app; the consumer relays one or the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.template.loader import render_to_string

from apps.core.live import LiveEvent, send_event
from apps.notifications.models import Notification

CREATED = "notification.created"
UNREAD = "notification.unread"


def notifications_group(user_id: int) -> str:
    """The channel group every socket of one signed-in user joins."""
    return f"notifications.user.{user_id}"


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


def unread_event(user_id: int, unread: int | None = None) -> LiveEvent:
    """The badge's new count, as an out-of-band swap and as data."""
    if unread is None:
        unread = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
    html = render_to_string("notifications/_count.html", {"unread": unread, "oob": True})
    return {"type": UNREAD, "html": html, "data": {"type": UNREAD, "unread": unread}}


def created_event(notification: Notification, unread: int) -> LiveEvent:
    """A new notification: the badge, the dropdown's new first item and the announcement."""
    html = render_to_string(
        "notifications/_created_event.html", {"notification": notification, "unread": unread}
    )
    data = {"type": CREATED, "notification": notification_data(notification), "unread": unread}
    return {"type": CREATED, "html": html, "data": data}


def notification_created(notification_ids: list[int]) -> None:
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
        send_event(notifications_group(notification.recipient_id), event)


def notification_unread(user_id: int) -> None:
    """Tell every socket of the user the new unread count (after marking read)."""
    send_event(notifications_group(user_id), unread_event(user_id))
