"""Reads for the moderation queue: its four views and their counts."""

from __future__ import annotations

from typing import Literal

from django.db.models import Count, Prefetch, Q, QuerySet

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.comments.models import Comment, CommentReport

QueueView = Literal["held", "reported", "spam", "rejected"]
QUEUE_VIEWS: tuple[QueueView, ...] = ("held", "reported", "spam", "rejected")

Status = Comment.Status

# Each view's filter; deleted comments have nothing left to moderate.
_FILTERS: dict[str, Q] = {
    "held": Q(status=Status.HELD),
    "reported": Q(report_count__gt=0),
    "spam": Q(status=Status.SPAM),
    "rejected": Q(status=Status.REJECTED),
}
# The held queue is first come, first served; the reported view puts the most reported
# first; spam and rejected show the latest decisions first.
_ORDER: dict[str, tuple[str, ...]] = {
    "held": ("created_at", "id"),
    "reported": ("-report_count", "created_at", "id"),
    "spam": ("-moderated_at", "-id"),
    "rejected": ("-moderated_at", "-id"),
}


def moderation_queue(
    *, view: str = "held", post_id: int | None = None, q: str = ""
) -> QuerySet[Comment]:
    """Comments in one queue view (optionally one post's, or matching `q`), rows ready to render."""
    if view not in _FILTERS:
        raise ValueError(f"Unknown moderation view {view!r}")
    comments = (
        Comment.objects.filter(_FILTERS[view], deleted_at__isnull=True)
        .select_related("post", "author", "moderated_by")
        # The post's text is never shown in the queue; don't load it for every row.
        .defer("post__body", "post__body_html", "post__toc")
        .order_by(*_ORDER[view])
    )
    if view == "reported":
        # Moderators decide on the readers' reasons: one query for the whole page.
        open_reports = CommentReport.objects.filter(resolved_at__isnull=True).order_by("created_at")
        comments = comments.prefetch_related(
            Prefetch("reports", queryset=open_reports, to_attr="open_reports")
        )
    if post_id is not None:
        comments = comments.filter(post_id=post_id)
    if q := q.strip():
        comments = comments.filter(
            Q(body__icontains=q)
            | Q(author__username__icontains=q)
            | Q(author__display_name__icontains=q)
            | Q(post__title__icontains=q)
        )
    return comments


def moderation_counts(*, post_id: int | None = None) -> dict[str, int]:
    """How many comments each queue view holds, in one query."""
    comments = Comment.objects.filter(deleted_at__isnull=True)
    if post_id is not None:
        comments = comments.filter(post_id=post_id)
    counts = comments.aggregate(
        **{view: Count("pk", filter=condition) for view, condition in _FILTERS.items()}
    )
    return {view: int(counts[view] or 0) for view in QUEUE_VIEWS}


def held_count() -> int:
    """Comments waiting for approval (the dashboard menu's badge)."""
    return Comment.objects.filter(_FILTERS["held"], deleted_at__isnull=True).count()


def posts_comment_states(*, q: str = "") -> QuerySet[Post]:
    """Published posts, newest first, with whether comments are open and how many wait."""
    posts = (
        Post.objects.filter(status=Post.Status.PUBLISHED)
        .only("id", "title", "slug", "language", "status", "published_at", "comments_open")
        .annotate(
            comment_count=Count(
                "comments",
                filter=Q(comments__status=Status.PUBLISHED, comments__deleted_at__isnull=True),
            ),
            held_count=Count(
                "comments",
                filter=Q(comments__status=Status.HELD, comments__deleted_at__isnull=True),
            ),
        )
        .order_by("-published_at", "-id")
    )
    if q := q.strip():
        posts = posts.filter(title__icontains=q)
    return posts


def post_for_moderation(post_id: int) -> Post | None:
    """The post a queue is filtered to (title and comments state only), if it exists."""
    return (
        Post.objects.only(
            "id", "title", "slug", "language", "status", "published_at", "comments_open"
        )
        .filter(pk=post_id)
        .first()
    )


def sees_held_comments(*, viewer: User, post_id: int) -> bool:
    """Whether the viewer's thread on this post differs from a reader's: they see held comments.

    Moderators see every held comment; a commenter sees their own while they wait.
    """
    if can(viewer, "comment.moderate"):
        return True
    return Comment.objects.filter(
        post_id=post_id, author=viewer, status=Status.HELD, deleted_at__isnull=True
    ).exists()
