"""`manage.py publish_due`: publish overdue scheduled posts, archive overdue ones (for cron)."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.blog.services import publish_due


class Command(BaseCommand):
    help = "Publish scheduled posts whose time has come and unpublish expired ones."

    def handle(self, *args: Any, **options: Any) -> None:
        published, archived = publish_due()
        self.stdout.write(f"Published {published} scheduled post(s); unpublished {archived}.")
