"""Time-driven moves: publish and archive posts whose time has come.

With the database backend (production) each schedule enqueues a task with
`run_after`; the task re-checks the post under a row lock before acting, so
rescheduling or unscheduling never publishes at the old time and a second run finds
nothing to do: a task re-queued by the reaper after its worker died (apps.core.reaper)
publishes, and notifies, exactly once. The immediate backend (embedded default) cannot defer, so there the
in-process scheduler started by `manage.py serve` runs `publish_due` every few seconds
instead. `manage.py publish_due` is the cron safety net in both.

The tasks live here, beside the moves they run, so the workflow (which enqueues them)
and the tasks (which call these services) import in one direction only;
`apps.blog.tasks` re-exports them under their historic paths.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

from apps.blog.models import Post
from apps.blog.services.notices import notify_post_published
from apps.blog.services.pages import invalidate_post, public_tags
from apps.core import metrics
from apps.webhooks.emitters import post_event

logger = structlog.get_logger("inkwell.blog")

S = Post.Status


def make_public(post: Post, *, when: datetime) -> None:
    """Mark a locked post published at `when` (the caller checked the move and holds the lock)."""
    post.status = S.PUBLISHED
    # A post published earlier and restored from the archive keeps its original date.
    if post.published_at is None or post.published_at > when:
        post.published_at = when
    post.review_note = ""
    post.save(update_fields=["status", "published_at", "review_note", "updated_at"])
    invalidate_post(post, moved=True)
    post_event("post.published", post)  # by hand or by the scheduler: sent after commit


@transaction.atomic
def publish_if_due(*, post_id: int, expected_publish_at: datetime | None = None) -> bool:
    """Publish a scheduled post whose time has come; True if it was published.

    Called by the task enqueued at scheduling time and by `publish_due`. It re-reads
    the post: a post that was rescheduled, unscheduled or already published is left
    alone, so an old task can never publish at the old time.
    """
    post = Post.objects.select_for_update().filter(pk=post_id).first()
    if post is None or post.status != S.SCHEDULED or post.published_at is None:
        return False
    if expected_publish_at is not None and post.published_at != expected_publish_at:
        return False
    if post.published_at > timezone.now():
        return False
    delay = (timezone.now() - post.published_at).total_seconds()
    make_public(post, when=post.published_at)
    transaction.on_commit(lambda: metrics.post_published(delay))
    # In this transaction: a worker killed after the commit must not lose the notice, and
    # one killed before it leaves neither (the reaped task then does both, once).
    notify_post_published(post_id=post.pk)
    logger.info("scheduled post published", post_id=post.pk)
    return True


@transaction.atomic
def archive_if_due(*, post_id: int, expected_unpublish_at: datetime | None = None) -> bool:
    """Archive a published post whose unpublish time has come; True if it was archived."""
    post = Post.objects.select_for_update().filter(pk=post_id).first()
    if post is None or post.status != S.PUBLISHED or post.unpublish_at is None:
        return False
    if expected_unpublish_at is not None and post.unpublish_at != expected_unpublish_at:
        return False
    if post.unpublish_at > timezone.now():
        return False
    shown_before = public_tags(post)
    post.status = S.ARCHIVED
    post.unpublish_at = None
    post.save(update_fields=["status", "unpublish_at", "updated_at"])
    invalidate_post(post, before=shown_before, moved=True)
    post_event("post.unpublished", post)
    logger.info("post unpublished on schedule", post_id=post.pk)
    return True


def publish_due() -> tuple[int, int]:
    """Publish every overdue scheduled post and archive every overdue one; return both counts."""
    now = timezone.now()
    due = Post.objects.filter(status=S.SCHEDULED, published_at__lte=now).values_list(
        "pk", flat=True
    )
    published = sum(publish_if_due(post_id=pk) for pk in list(due))
    expiring = Post.objects.filter(status=S.PUBLISHED, unpublish_at__lte=now).values_list(
        "pk", flat=True
    )
    archived = sum(archive_if_due(post_id=pk) for pk in list(expiring))
    return published, archived


@task()
def publish_scheduled_post(post_id: int, expected_publish_at: str) -> bool:
    """Publish the post if it is still scheduled for exactly this time."""
    return publish_if_due(
        post_id=post_id, expected_publish_at=datetime.fromisoformat(expected_publish_at)
    )


@task()
def unpublish_scheduled_post(post_id: int, expected_unpublish_at: str) -> bool:
    """Archive the post if it is still due to be unpublished at exactly this time."""
    return archive_if_due(
        post_id=post_id, expected_unpublish_at=datetime.fromisoformat(expected_unpublish_at)
    )


def enqueue_publication(post_id: int, publish_at: datetime) -> None:
    """Enqueue the publish task for `publish_at` where the backend can defer work."""
    if default_task_backend.supports_defer:
        publish_scheduled_post.using(run_after=publish_at).enqueue(post_id, publish_at.isoformat())


def enqueue_unpublication(post_id: int, unpublish_at: datetime) -> None:
    """Enqueue the unpublish task for `unpublish_at` where the backend can defer work."""
    if default_task_backend.supports_defer:
        unpublish_scheduled_post.using(run_after=unpublish_at).enqueue(
            post_id, unpublish_at.isoformat()
        )
