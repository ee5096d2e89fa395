"""Tasks whose worker died mid-run are re-queued, then failed after TASK_MAX_ATTEMPTS starts."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command, get_commands
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.blog.models import Post
from apps.blog.services.schedule import publish_scheduled_post
from apps.core.reaper import INTERRUPTED, reap_stale_tasks
from apps.notifications.models import Kind, Notification
from tests.factories.blog import PostFactory

RUNNING, READY = "RUNNING", "READY"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_RUNNING_TIMEOUT = 900
    settings.TASK_MAX_ATTEMPTS = 3


def _scheduled_post() -> Post:
    return PostFactory.create(
        status=Post.Status.SCHEDULED, published_at=timezone.now() - timedelta(seconds=5)
    )


def _interrupted(post: Post, *, ago: timedelta, workers: int = 1):
    """The row a worker killed mid-task leaves behind: RUNNING since `ago`, never finished."""
    assert post.published_at is not None
    result = publish_scheduled_post.enqueue(post.pk, post.published_at.isoformat())
    DBTaskResult.objects.filter(pk=result.id).update(
        status=RUNNING,
        started_at=timezone.now() - ago,
        worker_ids=[f"dead-{i}" for i in range(workers)],
    )
    return DBTaskResult.objects.get(pk=result.id)


@pytest.mark.django_db
def test_reaper_requeues_tasks_running_past_the_timeout_only(database_tasks):
    stuck = _interrupted(_scheduled_post(), ago=timedelta(seconds=901))
    busy = _interrupted(_scheduled_post(), ago=timedelta(seconds=60))
    assert reap_stale_tasks() == (1, 0)
    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert (stuck.status, stuck.finished_at) == (READY, None)
    assert busy.status == RUNNING  # a live worker may still be on it
    assert reap_stale_tasks() == (0, 0)


@pytest.mark.django_db
def test_reaper_fails_a_task_started_max_attempts_times(database_tasks, settings):
    settings.TASK_MAX_ATTEMPTS = 2
    row = _interrupted(_scheduled_post(), ago=timedelta(hours=1), workers=2)
    assert reap_stale_tasks() == (0, 1)
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert row.finished_at is not None
    assert row.exception_class_path == INTERRUPTED
    assert "dead-0, dead-1" in row.traceback
    result = publish_scheduled_post.get_result(str(row.pk))
    assert [error.exception_class_path for error in result.errors] == [INTERRUPTED]


def test_our_db_worker_replaces_django_tasks_db_s():
    assert get_commands()["db_worker"] == "apps.core"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_db_worker_reaps_at_start_and_runs_the_task_once(database_tasks):
    post = _scheduled_post()
    row = _interrupted(post, ago=timedelta(hours=1))
    call_command("db_worker", "--batch", "--no-startup-delay", worker_id="second", verbosity=0)
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert row.worker_ids == ["dead-0", "second"]
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert Notification.objects.filter(post=post, kind=Kind.POST_PUBLISHED).count() == 1
    # The task run again (its worker died after the commit) finds nothing left to do.
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    call_command("db_worker", "--batch", "--no-startup-delay", worker_id="third", verbosity=0)
    row.refresh_from_db()
    assert (row.status, row.return_value) == ("SUCCESSFUL", False)
    assert Notification.objects.filter(post=post, kind=Kind.POST_PUBLISHED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_running_worker_keeps_reaping_every_interval(database_tasks):
    from apps.core.reaper import start_reaping

    row = _interrupted(_scheduled_post(), ago=timedelta(hours=1))
    stop = start_reaping(interval=0.1)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and row.status == RUNNING:
            time.sleep(0.1)
            row.refresh_from_db()
    finally:
        stop.set()
    assert row.status == READY
