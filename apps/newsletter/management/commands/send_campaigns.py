"""`manage.py send_campaigns`: the newsletter sweep (for cron; safe to overlap and repeat)."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.newsletter.campaigns import send_due_campaigns


class Command(BaseCommand):
    help = (
        "Start scheduled campaigns that are due and waiting ones whose post is live; "
        "restart sends whose worker died (with the immediate task backend, send them)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = send_due_campaigns()
        self.stdout.write(f"Started {counts['started']} campaign(s); resumed {counts['resumed']}.")
