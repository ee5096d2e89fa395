"""`manage.py seed_demo`: load the demo authors, categories, tags, posts and comments.

The content is data (apps/dashboard/demo/content/); apps.dashboard.demo reads and writes
it. Safe to run repeatedly: users are matched by email and posts by slug, and anything that
already exists is left exactly as it is.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from apps.dashboard.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_PASSWORD,
    DEMO_READER_EMAIL,
    DEMO_READER_PASSWORD,
    DemoConflictError,
    DemoContentError,
    load_demo_content,
    seed_demo_admin,
    seed_demo_content,
    seed_demo_newsletter,
    seed_demo_reader,
)
from apps.dashboard.demo.translations import seed_demo_translations


class Command(BaseCommand):
    help = "Create demo authors, categories, tags and posts. Running it again adds nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--admin",
            action="store_true",
            help=(
                f"Also create the superuser {DEMO_ADMIN_EMAIL} with the password "
                f"{DEMO_ADMIN_PASSWORD!r}. Refused when DJANGO_ENV is production."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with_admin: bool = options["admin"]
        if with_admin and settings.DJANGO_ENV == "production":
            raise CommandError(
                "--admin is refused in production: the demo admin's password is public "
                "(it is in the source code). Create a real superuser with "
                "`manage.py createsuperuser` instead."
            )
        try:
            content = load_demo_content()
            # One transaction: a conflict half-way leaves the database as it was.
            with transaction.atomic():
                result = seed_demo_content(content=content)
                translations = seed_demo_translations()
                subscribers = seed_demo_newsletter()
                admin_created = seed_demo_admin() if with_admin else False
                if with_admin:
                    seed_demo_reader()
        except (DemoContentError, DemoConflictError) as error:
            raise CommandError(str(error)) from error

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content: {result.authors} authors ({result.new_authors} new), "
                f"{result.posts} posts ({result.new_posts} new), {translations} new translations, "
                f"{result.categories} categories, {result.tags} tags, "
                f"{result.new_comments} new comments, {subscribers} new newsletter subscribers."
            )
        )
        if with_admin:
            self._report_admin(created=admin_created)

    def _report_admin(self, *, created: bool) -> None:
        self.stdout.write(
            f"Demo reader (comments, the API): {DEMO_READER_EMAIL} / {DEMO_READER_PASSWORD}"
        )
        if created:
            self.stdout.write(
                f"Demo admin created. Log in with email {DEMO_ADMIN_EMAIL} "
                f"and password {DEMO_ADMIN_PASSWORD}"
            )
        else:
            self.stdout.write(
                f"Demo admin {DEMO_ADMIN_EMAIL} already exists; its password was not changed "
                f"(it was {DEMO_ADMIN_PASSWORD} when this command created it)."
            )
