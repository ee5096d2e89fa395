"""`manage.py repair_notifications`: create notifications missing for recent comments.

The safety net behind storing notifications in the comment's own transaction: run it
every few minutes (the `repair-notifications` CronJob; `manage.py serve` runs it in
process). Re-running it is harmless: nobody hears twice about the same comment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from apps.comments.services import repair_comment_notifications


class Command(BaseCommand):
    help = "Create the notifications missing for comments made public in the last hours."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=int,
            default=None,
            help="How far back to look (default: NOTIFICATION_REPAIR_HOURS).",
        )

    def handle(self, *args: Any, hours: int | None, **options: Any) -> None:
        hours = hours if hours is not None else settings.NOTIFICATION_REPAIR_HOURS
        created = repair_comment_notifications(since=timezone.now() - timedelta(hours=hours))
        self.stdout.write(f"Created {created} missing notification{'s' if created != 1 else ''}.")
