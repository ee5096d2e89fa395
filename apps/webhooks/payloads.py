"""What each event says: small, public facts only (ids, titles, addresses, times).

Everything here is already public on the site or harmless to an integration: never a
commenter's or subscriber's email address, never a token, never a held comment's text.
The envelope follows Standard Webhooks: `{"type", "timestamp", "data"}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone

from apps.accounts.models import User

# The apps that emit events (blog, comments, newsletter) import this one, so it names their
# models only by the attributes it reads (import-linter keeps the apps layered).


class PostLike(Protocol):
    @property
    def pk(self) -> Any: ...
    @property
    def title(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def excerpt(self) -> str: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def author(self) -> User: ...
    def get_absolute_url(self) -> str: ...


class CommentLike(Protocol):
    @property
    def pk(self) -> Any: ...
    @property
    def status(self) -> str: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def deleted_at(self) -> datetime | None: ...
    @property
    def body(self) -> str: ...
    @property
    def is_public(self) -> bool: ...
    @property
    def author(self) -> User | None: ...
    @property
    def post(self) -> PostLike: ...
    def get_absolute_url(self) -> str: ...


class SubscriberLike(Protocol):
    @property
    def pk(self) -> Any: ...
    @property
    def confirmed_at(self) -> datetime | None: ...


class NewsletterLike(Protocol):
    @property
    def slug(self) -> str: ...
    @property
    def name(self) -> str: ...


Payload = dict[str, Any]


def absolute(path: str) -> str:
    """`path` on the public site (SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + path


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def envelope(event_type: str, data: Payload, *, when: datetime | None = None) -> Payload:
    """The body every delivery carries."""
    return {"type": event_type, "timestamp": _time(when or timezone.now()), "data": data}


def _person(user: User | None) -> Payload | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.name,
        "url": absolute(user.get_absolute_url()),
    }


def post_data(post: PostLike) -> Payload:
    """A post as integrations see it (the author is read once if not already loaded)."""
    return {
        "id": post.pk,
        "title": post.title,
        "slug": post.slug,
        "url": absolute(post.get_absolute_url()),
        "status": post.status,
        "excerpt": post.excerpt,
        "published_at": _time(post.published_at),
        "updated_at": _time(post.updated_at),
        "author": _person(post.author),
    }


def comment_data(comment: CommentLike) -> Payload:
    """A comment: its text only when readers can see it; the author's public name only."""
    post = comment.post
    visible = comment.is_public and comment.deleted_at is None
    return {
        "id": comment.pk,
        "status": comment.status,
        "url": absolute(comment.get_absolute_url()),
        "parent_id": comment.parent_id,
        "created_at": _time(comment.created_at),
        "body": comment.body if visible else None,
        "author": _person(comment.author),
        "post": {"id": post.pk, "title": post.title, "url": absolute(post.get_absolute_url())},
    }


def subscriber_data(subscriber: SubscriberLike, newsletters: Iterable[NewsletterLike]) -> Payload:
    """A subscriber by id only (the address is personal data), and the newsletters concerned."""
    return {
        "id": subscriber.pk,
        "confirmed_at": _time(subscriber.confirmed_at),
        "newsletters": [{"slug": n.slug, "name": n.name} for n in newsletters],
    }
