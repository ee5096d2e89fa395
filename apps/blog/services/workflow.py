"""The editorial workflow: one table of legal moves, enforced here for every entry point.

    draft ──submit──▶ in review ──send back (note)──▶ draft
      │                  │
      └──schedule / publish (editors)──▶ scheduled ──(time comes)──▶ published ──archive──▶ archived
                                              └──unschedule──▶ draft          ◀──restore──┘

Authors submit their own posts; editors review, schedule, publish, send back
and archive; admins can do everything. An illegal move from any entry point
(page, API, command) raises a ValidationError that says what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.blog.services.notices import notify_post_published, notify_post_sent_back
from apps.blog.services.pages import invalidate_post, public_tags
from apps.blog.services.schedule import enqueue_publication, enqueue_unpublication, make_public
from apps.core.transactions import after_commit
from apps.webhooks.emitters import post_event

logger = structlog.get_logger("inkwell.blog")

S = Post.Status


@dataclass(frozen=True)
class Move:
    """A legal transition: from which states, to which state, and the permission it needs."""

    name: str
    label: str
    sources: frozenset[str]
    target: str
    permission: str


MOVES: dict[str, Move] = {
    move.name: move
    for move in [
        Move("submit", "Submit for review", frozenset({S.DRAFT}), S.IN_REVIEW, "post.submit"),
        Move("send_back", "Send back to draft", frozenset({S.IN_REVIEW, S.SCHEDULED}), S.DRAFT, "post.review"),
        Move("schedule", "Schedule", frozenset({S.DRAFT, S.IN_REVIEW, S.SCHEDULED}), S.SCHEDULED, "post.publish"),
        Move("unschedule", "Unschedule", frozenset({S.SCHEDULED}), S.DRAFT, "post.publish"),
        Move("publish", "Publish now", frozenset({S.DRAFT, S.IN_REVIEW, S.SCHEDULED, S.ARCHIVED}), S.PUBLISHED, "post.publish"),
        Move("archive", "Archive", frozenset({S.PUBLISHED}), S.ARCHIVED, "post.publish"),
    ]
}  # fmt: skip


def allowed_moves(user: User, post: Post) -> list[Move]:
    """The moves this user may make on this post now (for buttons; the service re-checks)."""
    return [
        move
        for move in MOVES.values()
        if post.status in move.sources and can(user, move.permission, post)
    ]


def _check(actor: User, post: Post, name: str) -> Move:
    move = MOVES[name]
    if not can(actor, move.permission, post):
        raise PermissionDenied(f"You may not {move.label.lower()} this post.")
    if post.status not in move.sources:
        allowed = ", ".join(m.label.lower() for m in allowed_moves(actor, post)) or "nothing"
        raise ValidationError(
            f"A post that is {post.get_status_display().lower()} cannot be moved that way "
            f"({move.label.lower()}). You can: {allowed}.",
            code="illegal_transition",
        )
    return move


def _locked(post: Post) -> Post:
    return Post.objects.select_for_update().get(pk=post.pk)


def _enqueue_unpublication(post_id: int, unpublish_at: datetime | None) -> None:
    # Every way of setting an unpublish time arms its task; the publish_due cron is only
    # the safety net for runs a worker missed.
    if unpublish_at is not None:
        after_commit(enqueue_unpublication, post_id, unpublish_at)


@transaction.atomic
def submit_post(*, actor: User, post: Post) -> Post:
    """Send a draft to the editors."""
    post = _locked(post)
    _check(actor, post, "submit")
    post.status = S.IN_REVIEW
    post.review_note = ""
    post.save(update_fields=["status", "review_note", "updated_at"])
    return post


@transaction.atomic
def send_back_post(*, actor: User, post: Post, note: str) -> Post:
    """Return a post to its author as a draft, with a note saying why."""
    if not note.strip():
        raise ValidationError({"note": "Tell the author what to change."})
    post = _locked(post)
    _check(actor, post, "send_back")
    post.status = S.DRAFT
    post.review_note = note.strip()[:2000]
    post.published_at = None
    post.save(update_fields=["status", "review_note", "published_at", "updated_at"])
    notify_post_sent_back(post_id=post.pk, actor_id=actor.pk)
    return post


@transaction.atomic
def schedule_post(
    *, actor: User, post: Post, publish_at: datetime, unpublish_at: datetime | None = None
) -> Post:
    """Publish the post automatically at `publish_at` (which must be in the future)."""
    now = timezone.now()
    if timezone.is_naive(publish_at):
        raise ValidationError({"publish_at": "Give the time with its time zone."})
    if publish_at <= now:
        raise ValidationError({"publish_at": "Choose a time in the future, or publish now."})
    if unpublish_at is not None and unpublish_at <= publish_at:
        raise ValidationError({"unpublish_at": "Unpublishing must come after publishing."})
    post = _locked(post)
    _check(actor, post, "schedule")
    post.status = S.SCHEDULED
    post.published_at = publish_at
    post.unpublish_at = unpublish_at
    post.save(update_fields=["status", "published_at", "unpublish_at", "updated_at"])
    after_commit(enqueue_publication, post.pk, publish_at)
    _enqueue_unpublication(post.pk, unpublish_at)
    return post


@transaction.atomic
def unschedule_post(*, actor: User, post: Post) -> Post:
    """Take a scheduled post back to draft; its pending task will find nothing to do."""
    post = _locked(post)
    _check(actor, post, "unschedule")
    post.status = S.DRAFT
    post.published_at = None
    post.save(update_fields=["status", "published_at", "updated_at"])
    return post


@transaction.atomic
def publish_post(*, actor: User, post: Post, unpublish_at: datetime | None = None) -> Post:
    """Publish now."""
    now = timezone.now()
    if unpublish_at is not None and unpublish_at <= now:
        raise ValidationError({"unpublish_at": "Unpublishing must be in the future."})
    post = _locked(post)
    _check(actor, post, "publish")
    make_public(post, when=now)
    # Stored with the move, so a blip after the commit cannot lose it; the push waits.
    notify_post_published(post_id=post.pk, actor_id=actor.pk)
    if unpublish_at is not None:
        post.unpublish_at = unpublish_at
        post.save(update_fields=["unpublish_at"])
        _enqueue_unpublication(post.pk, unpublish_at)
    return post


@transaction.atomic
def set_unpublish_time(*, actor: User, post: Post, unpublish_at: datetime | None) -> Post:
    """Archive a published or scheduled post automatically at `unpublish_at` (None clears it)."""
    post = _locked(post)
    if not can(actor, "post.publish", post):
        raise PermissionDenied("You may not schedule unpublishing.")
    if post.status not in {S.PUBLISHED, S.SCHEDULED}:
        raise ValidationError("Only a published or scheduled post can be unpublished later.")
    if unpublish_at is not None and unpublish_at <= max(
        timezone.now(), post.published_at or timezone.now()
    ):
        raise ValidationError({"unpublish_at": "Choose a time after the post is published."})
    post.unpublish_at = unpublish_at
    post.save(update_fields=["unpublish_at", "updated_at"])
    _enqueue_unpublication(post.pk, unpublish_at)
    return post


@transaction.atomic
def archive_post(*, actor: User, post: Post) -> Post:
    """Take a published post off the site (it keeps its content and can be restored)."""
    post = _locked(post)
    _check(actor, post, "archive")
    shown_before = public_tags(post)
    post.status = S.ARCHIVED
    post.unpublish_at = None
    post.save(update_fields=["status", "unpublish_at", "updated_at"])
    invalidate_post(post, before=shown_before, moved=True)
    post_event("post.unpublished", post)
    return post


# The moves a click makes; "send back" needs a note and "schedule" a time.
_ONE_CLICK: dict[str, Callable[..., Post]] = {
    "submit": submit_post,
    "publish": publish_post,
    "unschedule": unschedule_post,
    "archive": archive_post,
}


def one_click_moves(user: User, post: Post) -> list[Move]:
    """The moves this user may make on this post now that need no input, for buttons."""
    return [move for move in allowed_moves(user, post) if move.name in _ONE_CLICK]


def apply_move(*, actor: User, post: Post, move: str) -> Post:
    """Make the named move that needs no input (submit, publish, unschedule, archive).

    The move runs in its own transaction and checks the table and permissions itself.
    """
    service = _ONE_CLICK.get(move)
    if service is None:
        raise ValidationError(
            f"“{move}” is not a move that can be made in one click.", code="unknown_move"
        )
    return service(actor=actor, post=post)


@dataclass
class BulkResult:
    """What a bulk action did: how many succeeded, and why each failure failed."""

    succeeded: int = 0
    failed: list[tuple[Post, str]] = field(default_factory=list)


def bulk_apply(*, posts: Iterable[Post], action: Callable[[Post], object]) -> BulkResult:
    """Apply `action` to each post in its own transaction; collect failures with reasons."""
    result = BulkResult()
    for post in posts:
        try:
            action(post)
        except (ValidationError, PermissionDenied) as error:
            messages = getattr(error, "messages", None) or [str(error)]
            result.failed.append((post, " ".join(messages)))
        else:
            result.succeeded += 1
    return result
