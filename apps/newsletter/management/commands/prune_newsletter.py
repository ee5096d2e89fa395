"""`manage.py prune_newsletter`: delete sign-ups nobody confirmed in NEWSLETTER_CONFIRM_DAYS (cron).

Safe to run twice or to skip a day: a confirmation link expires with its sign-up anyway.
"""

from typing import Any

from django.core.management.base import BaseCommand

from apps.newsletter.subscribers import prune_unconfirmed


class Command(BaseCommand):
    help = "Delete newsletter sign-ups not confirmed within NEWSLETTER_CONFIRM_DAYS."

    def handle(self, *args: Any, **options: Any) -> None:
        subscribers, subscriptions = prune_unconfirmed()
        self.stdout.write(
            f"Deleted {subscribers} unconfirmed sign-up(s) and {subscriptions} expired "
            "request(s) for another newsletter."
        )
