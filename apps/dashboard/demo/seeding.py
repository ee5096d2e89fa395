"""Write the demo content: authors, categories, tags, posts, a comment thread, demo accounts.

Idempotent by natural key: authors are matched by email, categories and tags by slug, posts
by slug, and a thread is only written while its post has no comments. Anything that already
exists is left exactly as it is. Writes go through the apps' services where one fits; the
two back doors (historic comment times, accounts created as the system) are marked below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import grant_role_as_system, mark_email_verified
from apps.blog.models import Category, Post, Tag
from apps.blog.services import create_post, get_or_create_category, get_or_create_tags
from apps.comments.models import MAX_DEPTH, Comment
from apps.core.markdown import markdown_to_safe_html
from apps.dashboard.demo.content import AuthorSpec, DemoContent, PostSpec, ThreadSpec
from apps.newsletter.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Newsletter,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)

DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_ADMIN_USERNAME = "admin"
# Public on purpose: it is printed by the command and only accepted outside production.
DEMO_ADMIN_PASSWORD = "inkwell-demo-admin"  # noqa: S105
# A verified reader for trying comments and the API (editors and admins need 2FA there).
DEMO_READER_EMAIL = "reader@example.com"
DEMO_READER_USERNAME = "reader"
DEMO_READER_PASSWORD = "inkwell-demo-reader"  # noqa: S105


class DemoConflictError(Exception):
    """An account the demo needs cannot be created because another one holds its name."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    authors: int
    new_authors: int
    posts: int
    new_posts: int
    categories: int
    tags: int
    new_comments: int


@transaction.atomic
def seed_demo_content(*, content: DemoContent, now: datetime | None = None) -> SeedResult:
    """Create whatever of `content` is missing; leave existing rows untouched."""
    # One clock for the whole run keeps the spacing between posts exactly as authored.
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    authors, new_authors = _seed_authors(content.authors)
    categories = {
        spec.name: get_or_create_category(name=spec.name, description=spec.description)
        for spec in content.categories
    }
    tags = {tag.name: tag for tag in get_or_create_tags(names=content.tags)}
    new_posts = _seed_posts(content.posts, authors, categories, tags, now=now)
    new_comments = sum(_seed_thread(thread, authors, now=now) for thread in content.threads)
    return SeedResult(
        authors=len(authors),
        new_authors=new_authors,
        posts=len(content.posts),
        new_posts=new_posts,
        categories=len(categories),
        tags=len(tags),
        new_comments=new_comments,
    )


def published_at(spec: PostSpec, now: datetime) -> datetime | None:
    """The post's publication moment: whole days back, at a time of day that varies."""
    if spec.days_ago is None:
        return None
    return now - timedelta(days=spec.days_ago, hours=spec.days_ago % 9, minutes=spec.days_ago % 47)


def _seed_authors(specs: tuple[AuthorSpec, ...]) -> tuple[dict[str, User], int]:
    """The demo authors by username, created where missing, and how many were new."""
    authors: dict[str, User] = {}
    created = 0
    for spec in specs:
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            user = _create_author(spec)
            created += 1
        authors[spec.username] = user
    return authors, created


def _check_username_free(username: str, *, account: str) -> None:
    if User.objects.filter(username__iexact=username).exists():
        raise DemoConflictError(
            f"Cannot create {account}: the username {username!r} belongs to another account."
        )


def _create_author(spec: AuthorSpec) -> User:
    _check_username_free(spec.username, account=f"demo author {spec.email}")
    # Back door: accounts has no "create a user" service (sign-up goes through allauth),
    # so the demo accounts come from the manager, as `createsuperuser` does. No password
    # (create_user makes it unusable): authors exist to own posts.
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
    specs: tuple[PostSpec, ...],
    authors: dict[str, User],
    categories: dict[str, Category],
    tags: dict[str, Tag],
    *,
    now: datetime,
) -> int:
    """Create the demo posts whose slugs are not taken; return how many were new."""
    existing = set(
        Post.objects.filter(
            slug__in=[spec.slug for spec in specs], language=settings.LANGUAGE_CODE
        ).values_list("slug", flat=True)
    )
    created = 0
    for spec in specs:
        if spec.slug in existing:
            continue
        # create_post stores a post as given, historic publication date included, without
        # the workflow's notifications: the service meant for seeding and imports.
        create_post(
            author=authors[spec.author],
            title=spec.title,
            body=spec.body,
            excerpt=spec.excerpt,
            slug=spec.slug,
            category=categories[spec.category],
            tags=[tags[name] for name in spec.tags],
            status=Post.Status.DRAFT if spec.is_draft else Post.Status.PUBLISHED,
            published_at=published_at(spec, now),
            featured=spec.featured,
        )
        created += 1
    return created


def _seed_thread(thread: ThreadSpec, authors: dict[str, User], *, now: datetime) -> int:
    """Write one demo conversation if its post has none yet; return how many comments.

    Back door: written as rows, not through `comments.services.create_comment`, because
    the demo must not trip the rate limit, hold the authors' first comments for moderation,
    notify anyone or broadcast, and its comments carry times in the past (one an hour).
    The threading fields follow create_comment's rules.
    """
    post = Post.objects.filter(slug=thread.post, status=Post.Status.PUBLISHED).first()
    if post is None or post.comments.exists():
        return 0
    start = now - timedelta(hours=len(thread.comments) + 1)
    made: list[Comment] = []
    for offset, spec in enumerate(thread.comments):
        parent = made[spec.reply_to] if spec.reply_to is not None else None
        shown_under = None
        if parent is not None:
            # Below the last level a reply is shown beside the comment it answers.
            shown_under = parent if parent.depth < MAX_DEPTH else parent.thread_parent
        made.append(
            Comment.objects.create(
                post=post,
                author=authors[spec.author],
                parent=parent,
                root=(parent.root or parent) if parent is not None else None,
                thread_parent=shown_under,
                depth=min(parent.depth + 1, MAX_DEPTH) if parent is not None else 0,
                body=spec.body,
                body_html=markdown_to_safe_html(spec.body, profile="comment"),
                created_at=start + timedelta(hours=offset),
            )
        )
    return len(made)


@transaction.atomic
def seed_demo_admin() -> bool:
    """Create the demo superuser if its email is free; True if it was created."""
    if User.objects.filter(email__iexact=DEMO_ADMIN_EMAIL).exists():
        return False
    _check_username_free(DEMO_ADMIN_USERNAME, account=DEMO_ADMIN_EMAIL)
    admin = User.objects.create_superuser(
        DEMO_ADMIN_EMAIL,
        DEMO_ADMIN_PASSWORD,
        username=DEMO_ADMIN_USERNAME,
        display_name="Demo Admin",
    )
    mark_email_verified(user=admin)
    grant_role_as_system(user=admin, role=Role.ADMIN, reason="demo admin")
    return True


@transaction.atomic
def seed_demo_reader() -> bool:
    """Create the demo reader if its email and username are free; True if it was created."""
    taken = User.objects.filter(email__iexact=DEMO_READER_EMAIL).exists() or (
        User.objects.filter(username__iexact=DEMO_READER_USERNAME).exists()
    )
    if taken:
        # A site seeded before the reader was trusted: trust the reader it already has.
        if existing := User.objects.filter(email__iexact=DEMO_READER_EMAIL).first():
            _trust_demo_reader(existing)
        return False
    reader = User.objects.create_user(
        DEMO_READER_EMAIL,
        DEMO_READER_PASSWORD,
        username=DEMO_READER_USERNAME,
        display_name="Demo Reader",
    )
    mark_email_verified(user=reader)
    _trust_demo_reader(reader)
    return True


DEMO_READER_COMMENT = "Thanks for this, it was a good read."


def _trust_demo_reader(reader: User, *, now: datetime | None = None) -> None:
    """Give the demo reader one published comment, so their next one is not held.

    The default moderation holds a first-time commenter's comment for review; the README
    invites people to try comments as this reader, which should work at once. Written as a
    row for the reasons `_seed_thread` gives, a day in the past, on the newest demo post.
    """
    if Comment.objects.filter(author=reader, status=Comment.Status.PUBLISHED).exists():
        return
    post = (
        Post.objects.filter(status=Post.Status.PUBLISHED, published_at__isnull=False)
        .order_by("-published_at")
        .first()
    )
    if post is None:
        return
    Comment.objects.create(
        post=post,
        author=reader,
        body=DEMO_READER_COMMENT,
        body_html=markdown_to_safe_html(DEMO_READER_COMMENT, profile="comment"),
        created_at=(now or timezone.now()) - timedelta(days=1),
    )


DEMO_SUBSCRIBERS = 48


def seed_demo_newsletter(*, now: datetime | None = None) -> int:
    """Demo subscribers and one sent campaign, so the newsletter pages have something to show.

    Only on a site with no subscribers yet; returns how many were made. The addresses are at
    example.com (reserved: never delivered). A back door like the historic comment times:
    rows are written directly with past dates, since sign-ups cannot be made in the past.
    """
    if Subscriber.objects.exists():
        return 0
    now = now or timezone.now()
    weekly = Newsletter.objects.filter(slug="weekly").first()
    announcements = Newsletter.objects.filter(slug="announcements").first()
    if weekly is None or announcements is None:
        return 0
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(
            email=f"demo-reader-{n}@example.com",
            created_at=now - timedelta(days=60 - n, hours=n % 7),
            confirmed_at=now - timedelta(days=60 - n, hours=n % 7) + timedelta(minutes=5),
        )
        for n in range(DEMO_SUBSCRIBERS)
    )
    subscriptions = []
    for n, subscriber in enumerate(subscribers):
        joined = subscriber.confirmed_at
        left = n % 12 == 5  # a few have left since
        subscriptions.append(
            Subscription(
                subscriber=subscriber,
                newsletter=weekly,
                status=SubscriptionStatus.UNSUBSCRIBED if left else SubscriptionStatus.ACTIVE,
                source="post" if n % 3 else "home",
                subscribed_at=joined,
                unsubscribed_at=joined + timedelta(days=3) if left and joined else None,
            )
        )
        if n % 4 == 0:
            subscriptions.append(
                Subscription(
                    subscriber=subscriber,
                    newsletter=announcements,
                    status=SubscriptionStatus.ACTIVE,
                    source="page",
                    subscribed_at=joined,
                )
            )
    Subscription.objects.bulk_create(subscriptions)
    sent_at = now - timedelta(days=7)
    campaign = Campaign.objects.create(
        subject="This week on the site",
        preheader="Three new essays and a field report.",
        body="Three new essays and a field report this week. Thank you for reading.",
        body_html="<p>Three new essays and a field report this week. Thank you for reading.</p>",
        status=CampaignStatus.SENT,
        queued_at=sent_at,
        started_at=sent_at,
        finished_at=sent_at + timedelta(minutes=2),
    )
    campaign.newsletters.set([weekly])
    recipients = [s for s in subscribers if s.created_at < sent_at]
    Delivery.objects.bulk_create(
        Delivery(
            campaign=campaign,
            subscriber=subscriber,
            email=subscriber.email,
            status=DeliveryStatus.FAILED if n == 3 else DeliveryStatus.SENT,
            attempts=4 if n == 3 else 1,
            error="550 5.1.1 mailbox unavailable" if n == 3 else "",
            sent_at=None if n == 3 else sent_at + timedelta(seconds=n),
        )
        for n, subscriber in enumerate(recipients)
    )
    Campaign.objects.filter(pk=campaign.pk).update(recipients_count=len(recipients))
    return len(subscribers)
