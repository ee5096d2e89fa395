"""`manage.py seed_demo`: load the demo authors, categories, tags and posts.

Safe to run repeatedly: users are matched by email and posts by slug, and anything
that already exists is left exactly as it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system, mark_email_verified
from apps.blog.demo_content import AUTHORS, CATEGORIES, POSTS, TAGS, AuthorSpec, PostSpec
from apps.blog.models import Category, Post, Tag
from apps.blog.services import create_post, get_or_create_category, get_or_create_tags
from apps.comments.models import MAX_DEPTH, Comment
from apps.core.markdown import markdown_to_safe_html

DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_THREAD_POST = "designing-the-empty-state"
# (author, Markdown body, index of the comment it answers or None).
DEMO_THREAD: tuple[tuple[str, str, int | None], ...] = (
    ("tomas", "The *first-run* empty state is the one most teams forget to design.", None),
    ("mara", "Agreed. We now sketch it before the full screen, not after.", 0),
    ("priya", "Do you keep the sample data, or show a single call to action?", 1),
    ("mara", "One action, plus a link to `import` for people who have data already.", 2),
    (
        "jonah",
        "A good empty state reads like [a note from a colleague](https://example.com).",
        None,
    ),
)
DEMO_ADMIN_USERNAME = "admin"
# Public on purpose: it is printed by the command and only accepted outside production.
DEMO_ADMIN_PASSWORD = "inkwell-demo-admin"  # noqa: S105
# A verified reader for trying comments and the API (editors and admins need 2FA there).
DEMO_READER_EMAIL = "reader@example.com"
DEMO_READER_USERNAME = "reader"
DEMO_READER_PASSWORD = "inkwell-demo-reader"  # noqa: S105


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
        with transaction.atomic():
            authors, new_authors = self._seed_authors()
            categories = {
                spec.name: get_or_create_category(name=spec.name, description=spec.description)
                for spec in CATEGORIES
            }
            tags = {tag.name: tag for tag in get_or_create_tags(names=TAGS)}
            new_posts = self._seed_posts(authors, categories, tags)
            new_comments = self._seed_comments(authors)
            admin_created = self._seed_admin() if with_admin else False
            if with_admin:
                self._seed_reader()

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content: {len(authors)} authors ({new_authors} new), "
                f"{len(POSTS)} posts ({new_posts} new), "
                f"{len(categories)} categories, {len(tags)} tags, "
                f"{new_comments} new comments."
            )
        )
        if with_admin:
            self._report_admin(created=admin_created)

    def _seed_authors(self) -> tuple[dict[str, User], int]:
        """The demo authors by username, created where missing, and how many were new."""
        authors: dict[str, User] = {}
        created = 0
        for spec in AUTHORS:
            user = User.objects.filter(email__iexact=spec.email).first()
            if user is None:
                user = self._create_author(spec)
                created += 1
            authors[spec.username] = user
        return authors, created

    def _create_author(self, spec: AuthorSpec) -> User:
        if User.objects.filter(username__iexact=spec.username).exists():
            raise CommandError(
                f"Cannot create demo author {spec.email}: the username {spec.username!r} "
                "belongs to another account."
            )
        # No password (create_user makes it unusable): authors exist to own posts.
        user = User.objects.create_user(
            spec.email,
            None,
            username=spec.username,
            display_name=spec.display_name,
            bio=spec.bio,
            bio_html=markdown_to_safe_html(spec.bio, profile="comment"),
        )
        mark_email_verified(user=user)
        return grant_role_as_system(user=user, role=Role.AUTHOR, reason="demo content")

    def _seed_posts(
        self,
        authors: dict[str, User],
        categories: dict[str, Category],
        tags: dict[str, Tag],
    ) -> int:
        """Create the demo posts whose slugs are not taken; return how many were new."""
        existing = set(
            Post.objects.filter(slug__in=[spec.slug for spec in POSTS]).values_list(
                "slug", flat=True
            )
        )
        # One clock for the whole run keeps the spacing between posts exactly as authored.
        now = timezone.now().replace(second=0, microsecond=0)
        created = 0
        for spec in POSTS:
            if spec.slug in existing:
                continue
            create_post(
                author=authors[spec.author],
                title=spec.title,
                body=spec.body,
                excerpt=spec.excerpt,
                slug=spec.slug,
                category=categories[spec.category],
                tags=[tags[name] for name in spec.tags],
                status=Post.Status.DRAFT if spec.is_draft else Post.Status.PUBLISHED,
                published_at=_published_at(spec, now),
                featured=spec.featured,
            )
            created += 1
        return created

    def _seed_comments(self, authors: dict[str, User]) -> int:
        """A short live thread on one demo post, so the comments section isn't empty.

        Written as rows, not through `create_comment`: the demo must not trip the rate
        limit, hold the authors' first comments for moderation or send notifications.
        """
        post = Post.objects.filter(slug=DEMO_THREAD_POST, status=Post.Status.PUBLISHED).first()
        if post is None or post.comments.exists():
            return 0
        start = timezone.now() - timedelta(hours=len(DEMO_THREAD) + 1)
        made: list[Comment] = []
        for offset, (username, body, reply_to) in enumerate(DEMO_THREAD):
            parent = made[reply_to] if reply_to is not None else None
            shown_under = None
            if parent is not None:
                shown_under = parent if parent.depth < MAX_DEPTH else parent.thread_parent
            made.append(
                Comment.objects.create(
                    post=post,
                    author=authors[username],
                    parent=parent,
                    root=(parent.root or parent) if parent is not None else None,
                    thread_parent=shown_under,
                    depth=min(parent.depth + 1, MAX_DEPTH) if parent is not None else 0,
                    body=body,
                    body_html=markdown_to_safe_html(body, profile="comment"),
                    created_at=start + timedelta(hours=offset),
                )
            )
        return len(made)

    def _seed_admin(self) -> bool:
        """Create the demo superuser if its email is free; True if it was created."""
        if User.objects.filter(email__iexact=DEMO_ADMIN_EMAIL).exists():
            return False
        if User.objects.filter(username__iexact=DEMO_ADMIN_USERNAME).exists():
            raise CommandError(
                f"Cannot create {DEMO_ADMIN_EMAIL}: the username {DEMO_ADMIN_USERNAME!r} "
                "belongs to another account."
            )
        admin = User.objects.create_superuser(
            DEMO_ADMIN_EMAIL,
            DEMO_ADMIN_PASSWORD,
            username=DEMO_ADMIN_USERNAME,
            display_name="Demo Admin",
        )
        mark_email_verified(user=admin)
        grant_role_as_system(user=admin, role=Role.ADMIN, reason="demo admin")
        return True

    def _seed_reader(self) -> None:
        """Create the demo reader if its email and username are free."""
        taken = User.objects.filter(email__iexact=DEMO_READER_EMAIL).exists() or (
            User.objects.filter(username__iexact=DEMO_READER_USERNAME).exists()
        )
        if taken:
            return
        reader = User.objects.create_user(
            DEMO_READER_EMAIL,
            DEMO_READER_PASSWORD,
            username=DEMO_READER_USERNAME,
            display_name="Demo Reader",
        )
        mark_email_verified(user=reader)

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


def _published_at(spec: PostSpec, now: datetime) -> datetime | None:
    """The post's publication moment: whole days back, at a time of day that varies."""
    if spec.days_ago is None:
        return None
    return now - timedelta(days=spec.days_ago, hours=spec.days_ago % 9, minutes=spec.days_ago % 47)
