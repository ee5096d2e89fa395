"""`manage.py send_notification_emails`: send the notification email batches that are due.

Run it every minute or so from cron or a Kubernetes CronJob; concurrent runs are safe.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.notifications.emails import send_notification_emails


class Command(BaseCommand):
    help = "Send each recipient one email with their due notifications."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_notification_emails()
        self.stdout.write(f"Sent {sent} notification email{'s' if sent != 1 else ''}.")
