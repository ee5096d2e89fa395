"""`manage.py deliver_webhooks`: send webhook deliveries whose (re)try is due (for cron)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.webhooks.services import deliver_due


class Command(BaseCommand):
    help = "Attempt every webhook delivery whose time has come (the worker's safety net)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="At most this many.")

    def handle(self, *args: Any, **options: Any) -> None:
        attempted = deliver_due(limit=options["limit"])
        self.stdout.write(f"Attempted {attempted} webhook delivery(ies).")
