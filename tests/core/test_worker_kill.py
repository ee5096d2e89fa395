"""A db_worker killed with SIGKILL mid-task: the next worker runs the task, and it publishes once.

Real processes on the real PostgreSQL. The publish task is held mid-run deterministically:
the test locks the post's row, so the worker's `publish_if_due` waits on it inside its
transaction (its task row already RUNNING, nothing committed). Then the worker is killed,
its database session ended (what PostgreSQL does once it notices the dead client), the
lock released, and a second worker started.
"""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from psycopg import sql

from apps.blog.models import Post
from apps.blog.services.schedule import publish_scheduled_post
from tests.factories.blog import PostFactory
from tests.servers import MANAGE, ROOT, clean_env

TASKS = sql.Identifier(DBTaskResult._meta.db_table)
WORKER = [*MANAGE, "db_worker", "--no-reload", "--no-startup-delay"]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _dsn() -> str:
    db = connection.settings_dict
    return (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} "
        f"user={db['USER'] or 'postgres'} dbname={db['NAME']}"
    )


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    return clean_env(
        DATABASE_URL=(
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        REDIS_URL="redis://127.0.0.1:6379/2",
        TASKS_BACKEND="database",
        TASK_RUNNING_TIMEOUT="1",
    )


def _wait_for(what: str, check, log: Path, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"Timed out waiting for {what}:\n{log.read_text()}")


def test_a_killed_worker_s_publish_task_runs_again_and_publishes_once(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    due = (timezone.now() - timedelta(seconds=5)).replace(microsecond=0)
    post = PostFactory.create(status=Post.Status.SCHEDULED, published_at=due)
    task_id = publish_scheduled_post.enqueue(post.pk, due.isoformat()).id
    env = _worker_env()
    log = tmp_path / "worker.log"

    with psycopg.connect(_dsn(), autocommit=True) as spy, psycopg.connect(_dsn()) as holder:
        holder.execute("SELECT 1 FROM blog_post WHERE id = %s FOR UPDATE", [post.pk])

        def one(query: str | sql.Composed, *params: object) -> tuple[object, ...] | None:
            return spy.execute(query, params).fetchone()

        with log.open("w") as out:
            first = subprocess.Popen(
                [*WORKER, "--interval", "0.1", "--worker-id", "first"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            # The task is claimed and its transaction waits on our lock: mid-task.
            waiting = _wait_for(
                "the worker to block inside the publish task",
                lambda: one(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query ILIKE %s",
                    "%blog_post%FOR UPDATE%",
                ),
                log,
            )
            assert one(sql.SQL("SELECT status FROM {} WHERE id = %s").format(TASKS), task_id) == (
                "RUNNING",
            )
            first.kill()  # SIGKILL: no signal handler, no finally blocks
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        spy.execute("SELECT pg_terminate_backend(%s)", waiting)
        holder.rollback()  # release the post

        status, started_at = one(
            sql.SQL("SELECT status, started_at FROM {} WHERE id = %s").format(TASKS), task_id
        ) or (None, None)
        assert status == "RUNNING"  # what django-tasks-db alone would leave for good
        assert one("SELECT status FROM blog_post WHERE id = %s", post.pk) == ("scheduled",)
        # TASK_RUNNING_TIMEOUT=1: make sure the row is stale before the next worker looks.
        assert isinstance(started_at, type(due))
        time.sleep(max(0.0, 1.2 - (timezone.now() - started_at).total_seconds()))

        second = subprocess.run(
            [*WORKER, "--batch", "--worker-id", "second"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 0, second.stdout + second.stderr

        task = one(
            sql.SQL("SELECT status, worker_ids, return_value FROM {} WHERE id = %s").format(TASKS),
            task_id,
        )
        assert task == ("SUCCESSFUL", ["first", "second"], True)
        assert one("SELECT status, published_at FROM blog_post WHERE id = %s", post.pk) == (
            "published",
            due,
        )
        assert one(
            "SELECT count(*) FROM notifications_notification WHERE post_id = %s AND kind = %s",
            post.pk,
            "post_published",
        ) == (1,)
