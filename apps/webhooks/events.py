"""The event catalogue: every event an endpoint can subscribe to, and what it means.

The names follow the Standard Webhooks convention (`resource.action`). `ALL` in an
endpoint's list subscribes it to every event, including ones added later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ALL = "all"
TEST = "webhook.test"

# What each event means, for people choosing them (lazy: in the reader's language).
EVENTS: dict[str, StrOrPromise] = {
    "post.published": _("A post went live (published now, or by the scheduler at its time)."),
    "post.unpublished": _("A published post was archived (by an editor or at its unpublish time)."),
    "post.updated": _("A published post was edited."),
    "post.deleted": _("A published post was deleted for good."),
    "comment.created": _("A comment was posted (held ones too, without their text)."),
    "comment.approved": _("A held, rejected or spam comment was approved by a moderator."),
    "comment.deleted": _("A comment was removed (by its author or a moderator)."),
    "subscriber.created": _("A newsletter subscription became active (confirmed sign-up)."),
    "subscriber.unsubscribed": _("A subscriber left one or more newsletters."),
}

EVENT_CHOICES: list[tuple[str, StrOrPromise]] = [
    (ALL, _("All events")),
    *((name, name) for name in EVENTS),
]


def subscribes_to(events: list[str], event_type: str) -> bool:
    """True when an endpoint subscribed to `events` should receive `event_type`."""
    return event_type == TEST or ALL in events or event_type in events
