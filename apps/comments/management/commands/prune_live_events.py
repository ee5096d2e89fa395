"""`manage.py prune_live_events`: drop live events past LIVE_EVENT_RETENTION_DAYS (for cron).

Posts with new comments prune their own as they go; this sweeps posts that went quiet.
"""

from typing import Any

from django.core.management.base import BaseCommand

from apps.comments.services.stream import prune_events


class Command(BaseCommand):
    help = "Delete live comment events older than LIVE_EVENT_RETENTION_DAYS."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = prune_events()
        self.stdout.write(f"Deleted {deleted} live event(s).")
