"""Notification writes: create them (honouring preferences), mark them read, send the emails.

This app knows nothing of posts or comments: the apps that know who should hear about
something (`apps.comments.services.notices`, `apps.blog.services.notices`) call `notify`
after their own transaction has committed, with recipient ids, a kind, the text and the
link. Each new notification is pushed to its recipient's sockets after *this* module's
transaction commits, through `apps.notifications.broadcasts`, which logs a channel-layer
failure and never raises: the stored notification is the source of truth, the push is a
courtesy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django_tasks import default_task_backend

from apps.accounts.models import User
from apps.core import pagecache, personal
from apps.core.transactions import after_commit
from apps.notifications import broadcasts
from apps.notifications.emails import email_delay, send_notification_emails
from apps.notifications.models import Delivery, Kind, Notification, NotificationPreference
from apps.notifications.selectors import preferences_for
from apps.notifications.tasks import send_notification_emails as send_emails_task

__all__ = [
    "email_delay",
    "mark_read",
    "notify",
    "send_notification_emails",
    "set_preferences",
]

TEXT_MAX = 300


def _short(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(TEXT_MAX)


def _deliveries(recipient_ids: Iterable[int], kind: str) -> dict[int, str]:
    rows = NotificationPreference.objects.filter(
        user_id__in=set(recipient_ids), kind=kind
    ).values_list("user_id", "delivery")
    return dict(rows)


def _wanted(
    recipient_ids: Iterable[int], actor_id: int | None, comment_id: int | None
) -> list[int]:
    """Active recipients other than the actor, in order, not yet told about this comment."""
    ids = [pk for pk in dict.fromkeys(recipient_ids) if pk != actor_id]
    active = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    if comment_id is not None:
        # One notification per person per comment: an approval after a rejection, or a
        # second reason to hear about the same comment, does not repeat it.
        active -= set(
            Notification.objects.filter(comment_id=comment_id, recipient_id__in=active)
            .values_list("recipient_id", flat=True)
            .order_by()
        )
    return [pk for pk in ids if pk in active]


@transaction.atomic
def notify(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    actor_id: int | None,
    text: str,
    url: str,
    post_id: int | None = None,
    comment_id: int | None = None,
) -> list[Notification]:
    """Notify each recipient once, in one insert, unless they switched `kind` off.

    Never the actor, never an inactive account, never twice about the same comment.
    The new notifications are pushed (and mailers woken) after commit.
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    recipients = _wanted(recipient_ids, actor_id, comment_id)
    if not recipients:
        return []
    choices = _deliveries(recipients, kind)
    notifications = []
    for recipient_id in recipients:
        delivery = choices.get(recipient_id, Delivery.IN_APP)
        if delivery == Delivery.OFF:
            continue
        notifications.append(
            Notification(
                recipient_id=recipient_id,
                kind=kind,
                actor_id=actor_id,
                text=_short(text),
                url=url[:500],
                post_id=post_id,
                comment_id=comment_id,
                email_due=delivery == Delivery.EMAIL,
            )
        )
    if not notifications:
        return []
    created = Notification.objects.bulk_create(notifications)
    # Their bells show the new one (bulk_create sends no signals).
    pagecache.invalidate(*(personal.reader_tag(n.recipient_id) for n in created))
    # The notifications are stored; pushing and waking the mailer are best effort.
    after_commit(broadcasts.notification_created, [n.pk for n in created])
    if mailed := [n.recipient_id for n in created if n.email_due]:
        after_commit(_schedule_emails, mailed)
    return created


# --------------------------------------------------------------------------
# Reading and preferences
# --------------------------------------------------------------------------


@transaction.atomic
def mark_read(
    *, actor: User, notification_ids: Iterable[int] | None = None, all: bool = False
) -> int:
    """Mark some of the actor's notifications (or all of them) read; returns how many changed."""
    if not all and notification_ids is None:
        raise ValueError("Pass notification_ids or all=True.")
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if not all:
        unread = unread.filter(pk__in=list(notification_ids or []))
    count = unread.update(read_at=timezone.now())
    if count:
        personal.forget_reader(actor.pk)  # the bell kept for their other pages
        # The user's other tabs and devices update their badge too.
        after_commit(broadcasts.notification_unread, actor.pk)
    return count


@transaction.atomic
def set_preferences(*, actor: User, choices: dict[str, str]) -> dict[str, str]:
    """Store how the actor wants each kind (in_app, email or off); returns every kind's choice."""
    errors = {
        kind: _("Unknown delivery %(delivery)r.") % {"delivery": delivery}
        for kind, delivery in choices.items()
        if delivery not in Delivery.values
    }
    errors |= {
        kind: _("Unknown kind of notification.") for kind in choices if kind not in Kind.values
    }
    if errors:
        raise ValidationError(errors)
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user=actor, kind=kind, delivery=delivery)
            for kind, delivery in choices.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["delivery"],
    )
    # Switching a kind away from email cancels the mails not yet sent for it.
    no_mail = [kind for kind, delivery in choices.items() if delivery != Delivery.EMAIL]
    if no_mail:
        Notification.objects.filter(
            recipient=actor, kind__in=no_mail, email_due=True, emailed_at__isnull=True
        ).update(email_due=False)
    return preferences_for(actor)


# --------------------------------------------------------------------------
# Email batching (the mailer itself is apps.notifications.emails)
# --------------------------------------------------------------------------


def _schedule_emails(recipient_ids: list[int]) -> None:
    """Where tasks can run later, wake the mailer when a recipient's batch is due."""
    if not default_task_backend.supports_defer:
        return  # embedded default: the in-process periodic job sends them
    # Only the first pending item of a batch needs a wake-up; later ones ride along.
    pending = (
        Notification.objects.filter(
            recipient_id__in=recipient_ids, email_due=True, emailed_at__isnull=True
        )
        .values_list("recipient_id", flat=True)
        .order_by()
    )
    counts: dict[int, int] = {}
    for pk in pending:
        counts[pk] = counts.get(pk, 0) + 1
    if not any(count == 1 for count in counts.values()):
        return
    run_after = timezone.now() + email_delay() + timedelta(seconds=5)
    send_emails_task.using(run_after=run_after).enqueue()
