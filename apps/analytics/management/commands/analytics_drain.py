"""`manage.py analytics_drain`: write the buffered beacons to the database in batches (cron).

Run it every minute (the analytics-drain CronJob), or keep one running with `--follow`.
Safe to run several at once: each batch is popped from the Redis list by one of them.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.analytics import buffer
from apps.analytics.services import roll_up_today


class Command(BaseCommand):
    help = "Write buffered analytics events to the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--follow", action="store_true", help="Keep draining until stopped (a worker)."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between drains with --follow."
        )
        parser.add_argument(
            "--time-budget", type=float, default=50.0, help="Stop after this many seconds."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["follow"]:
            written = buffer.drain(time_budget=options["time_budget"])
            rolled = roll_up_today()
            self.stdout.write(
                f"Wrote {written} event(s); {buffer.pending()} waiting."
                + (" Rolled up today." if rolled else "")
            )
            return
        while True:  # pragma: no cover - stopped by a signal
            buffer.drain(time_budget=options["time_budget"])
            roll_up_today()
            time.sleep(options["interval"])
