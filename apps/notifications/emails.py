"""The batched notification emails: one message per recipient with everything pending.

`apps.notifications.services` marks which notifications are due by email and wakes the
task; this module sends them (from the task, the command or the in-process runner).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import Delivery, Notification
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


def _send_batch(recipient_id: int, now: datetime) -> bool:
    """Send one recipient's pending notifications in one mail; False if another worker has them."""
    with transaction.atomic():
        # skip_locked: concurrent runs (two workers, cron + task) each take other rows
        # instead of waiting and then mailing the same items twice. SQLite ignores it.
        items = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(recipient_id=recipient_id, email_due=True, emailed_at__isnull=True)
            .order_by("created_at", "id")
        )
        if not items:
            return False
        recipient = User.objects.get(pk=recipient_id)
        wanted = preferences_for(recipient)
        # Read in the app already, or no longer wanted by email: nothing to mail.
        to_send = [n for n in items if n.read_at is None and wanted[n.kind] == Delivery.EMAIL]
        skipped = [n.pk for n in items if n not in to_send]
        if skipped:
            Notification.objects.filter(pk__in=skipped).update(email_due=False)
        if not to_send:
            return False
        _mail(recipient, to_send)
        Notification.objects.filter(pk__in=[n.pk for n in to_send]).update(emailed_at=now)
    return True


def _mail(recipient: User, items: list[Notification]) -> None:
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
    )
    message.attach_alternative(
        render_to_string("notifications/email/digest.html", context), "text/html"
    )
    message.send()


def send_notification_emails(*, now: datetime | None = None) -> int:
    """Mail each recipient whose batch is due one message with all their pending items.

    Safe to run from several workers at once; each recipient is handled in its own
    transaction, so one failing mail leaves the others sent and itself pending.
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
