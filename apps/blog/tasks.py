"""Background work for posts: publish and unpublish at their scheduled times.

With the database backend (production) each schedule enqueues a task with
`run_after`; the task re-checks the post before acting, so rescheduling or
unscheduling never publishes at the old time. The immediate backend (embedded
default) cannot defer, so there the in-process scheduler started by
`manage.py serve` runs `publish_due` every few seconds instead.
`manage.py publish_due` is the cron safety net in both.
"""

from __future__ import annotations

from datetime import datetime

from django_tasks import default_task_backend, task

from apps.blog.services.workflow import archive_if_due, publish_if_due


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
