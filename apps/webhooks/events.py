"""The event catalogue: every event an endpoint can subscribe to, and what it means.

The names follow the Standard Webhooks convention (`resource.action`). `ALL` in an
endpoint's list subscribes it to every event, including ones added later.
"""

from __future__ import annotations

ALL = "all"
TEST = "webhook.test"

EVENTS: dict[str, str] = {
    "post.published": "A post went live (published now, or by the scheduler at its time).",
    "post.unpublished": "A published post was archived (by an editor or at its unpublish time).",
    "post.updated": "A published post was edited.",
    "post.deleted": "A published post was deleted for good.",
    "comment.created": "A comment was posted (held ones too, without their text).",
    "comment.approved": "A held, rejected or spam comment was approved by a moderator.",
    "comment.deleted": "A comment was removed (by its author or a moderator).",
    "subscriber.created": "A newsletter subscription became active (confirmed sign-up).",
    "subscriber.unsubscribed": "A subscriber left one or more newsletters.",
}

EVENT_CHOICES: list[tuple[str, str]] = [(ALL, "All events"), *((name, name) for name in EVENTS)]


def subscribes_to(events: list[str], event_type: str) -> bool:
    """True when an endpoint subscribed to `events` should receive `event_type`."""
    return event_type == TEST or ALL in events or event_type in events
