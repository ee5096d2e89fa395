"""The batched notification emails: one message per recipient with everything pending.

`apps.notifications.services` marks which notifications are due by email and wakes the
task; this module sends them (from the task, the command or the in-process runner).

At most once per batch: the items are stamped and a `NotificationEmail` row is committed
*before* the mail is handed to the mail server, so a worker killed mid-send (and the task
reaper running it again) never mails the same items twice. The price is that such a
crash can lose that one mail; its row stays without `sent_at` for an operator to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from apps.accounts.models import User
from apps.core import metrics
from apps.notifications.models import Delivery, Notification, NotificationEmail
from apps.notifications.selectors import preferences_for

logger = structlog.get_logger("inkwell.notifications")


def email_delay() -> timedelta:
    """How long the first emailed notification waits for others to join its batch."""
    return timedelta(seconds=settings.NOTIFICATION_EMAIL_DELAY_SECONDS)


def _due_recipients(cutoff: datetime) -> list[int]:
    # A batch is due once its oldest item has waited the delay; everything pending for
    # that recipient then goes in the same mail.
    return list(
        Notification.objects.filter(
            email_due=True,
            emailed_at__isnull=True,
            created_at__lte=cutoff,
            recipient__is_active=True,
        )
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class Claim:
    """A committed claim on one recipient's batch: the mail row and what goes in it."""

    email: NotificationEmail
    recipient: User
    items: list[Notification]


def _message_id(recipient_id: int) -> str:
    # Stable for the batch: stored before the send, so the sent mail can be matched to its
    # row, and a receiving server can tell a copy from a new mail.
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return make_msgid(idstring=f"notifications.{recipient_id}", domain=domain)


def claim_batch(recipient_id: int, now: datetime) -> Claim | None:
    """Stamp one recipient's pending items as emailed and record the batch, then commit.

    Committed before anything is sent: a crash after this point leaves the items stamped,
    so the mail goes out at most once; a failure here leaves them pending and sends nothing.
    None when another worker holds them or nothing is left to mail.
    """
    with transaction.atomic():
        # skip_locked: concurrent runs (two workers, cron + task) each take other rows
        # instead of waiting and then mailing the same items twice. SQLite ignores it.
        items = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(recipient_id=recipient_id, email_due=True, emailed_at__isnull=True)
            .order_by("created_at", "id")
        )
        if not items:
            return None
        recipient = User.objects.get(pk=recipient_id)
        wanted = preferences_for(recipient)
        # Read in the app already, or no longer wanted by email: nothing to mail.
        to_send = [n for n in items if n.read_at is None and wanted[n.kind] == Delivery.EMAIL]
        skipped = [n.pk for n in items if n not in to_send]
        if skipped:
            Notification.objects.filter(pk__in=skipped).update(email_due=False)
        if not to_send:
            return None
        email = NotificationEmail.objects.create(
            recipient=recipient,
            message_id=_message_id(recipient_id),
            item_count=len(to_send),
            claimed_at=now,
        )
        Notification.objects.filter(pk__in=[n.pk for n in to_send]).update(
            emailed_at=now, email=email
        )
    return Claim(email=email, recipient=recipient, items=to_send)


def _release(claim: Claim, error: Exception) -> None:
    """The mail server refused the batch: record why and put its items back to pending."""
    with transaction.atomic():
        Notification.objects.filter(email=claim.email).update(emailed_at=None, email=None)
        NotificationEmail.objects.filter(pk=claim.email.pk).update(
            failed_at=timezone.now(), error=repr(error)[:500]
        )


def _send_batch(recipient_id: int, now: datetime) -> bool:
    """Claim one recipient's pending notifications, then mail them; False if there were none.

    An error the mail backend reports releases the items for the next run (the server did
    not take the mail); a crash between the claim and the end of the send does not, so a
    batch is never mailed twice. The one mail that could be lost is logged as claimed
    without `sent_at`.
    """
    claim = claim_batch(recipient_id, now)
    if claim is None:
        return False
    try:
        _mail(claim.recipient, claim.items, message_id=claim.email.message_id)
    except Exception as error:
        metrics.email_failed("notification")
        _release(claim, error)
        raise
    metrics.email_sent("notification")
    NotificationEmail.objects.filter(pk=claim.email.pk).update(sent_at=timezone.now())
    return True


def _mail(recipient: User, items: list[Notification], *, message_id: str) -> None:
    # In the recipient's language: their last choice in the switcher or their settings.
    language = recipient.language if recipient.language in settings.SITE_LANGUAGES else ""
    with override(language or settings.LANGUAGE_CODE):
        _render_and_send(recipient, items, message_id=message_id)


def _render_and_send(recipient: User, items: list[Notification], *, message_id: str) -> None:
    site_url = settings.SITE_URL.rstrip("/")
    context = {
        "recipient": recipient,
        "items": [
            {"text": n.text, "url": f"{site_url}{n.url}" if n.url.startswith("/") else n.url}
            for n in items
        ],
        "count": len(items),
        "site_name": settings.SITE_NAME,
        "site_url": site_url,
        "list_url": f"{site_url}{reverse('notifications:list')}",
        "settings_url": f"{site_url}{reverse('notifications:settings')}",
    }
    subject = " ".join(render_to_string("notifications/email/digest_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/digest.txt", context),
        to=[recipient.email],
        headers={"Message-ID": message_id},
    )
    message.attach_alternative(
        render_to_string("notifications/email/digest.html", context), "text/html"
    )
    message.send()


def send_notification_emails(*, now: datetime | None = None) -> int:
    """Mail each recipient whose batch is due one message with all their pending items.

    Safe to run from several workers at once and to run again after a crash; each recipient
    is claimed in its own transaction, so one failing mail leaves the others sent and
    itself pending.
    """
    now = now or timezone.now()
    sent = 0
    for recipient_id in _due_recipients(now - email_delay()):
        try:
            sent += _send_batch(recipient_id, now)
        except Exception:  # one bad address or SMTP hiccup must not stop the others
            logger.exception("notifications.email_failed", recipient_id=recipient_id)
    if sent:
        logger.info("notifications.emails_sent", count=sent)
    return sent
