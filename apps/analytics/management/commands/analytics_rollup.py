"""`manage.py analytics_rollup`: roll up finished days, prune old raw events, rotate salts (cron).

Idempotent: a day is rolled up again only when it was rolled before its last visits ended.
Partitions (PostgreSQL) are created months ahead; salts older than 48 hours are deleted.
"""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.analytics.rollup import roll_up_day
from apps.analytics.services import prune, roll_up


class Command(BaseCommand):
    help = "Roll up analytics, prune raw events past retention, delete salts older than 48 h."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--day",
            action="append",
            type=date.fromisoformat,
            default=[],
            help="Roll up this day (YYYY-MM-DD) again, whatever its state; may repeat.",
        )
        parser.add_argument("--no-prune", action="store_true", help="Keep raw events.")

    def handle(self, *args: Any, **options: Any) -> None:
        for day in options["day"]:
            roll_up_day(day)
        days = roll_up()
        self.stdout.write(f"Rolled up {len(days) + len(options['day'])} day(s).")
        if not options["no_prune"]:
            events, visits = prune()
            self.stdout.write(f"Pruned {events} event(s) and {visits} visit(s).")
