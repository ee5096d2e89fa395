"""Re-queue background tasks whose worker died: django-tasks-db has no lease.

A worker claims a task by setting its row RUNNING in a committed transaction and sets the
result when the task returns. A worker killed in between (OOM, node loss, SIGKILL) leaves
the row RUNNING for good and nothing runs the task again. `reap_stale_tasks` puts rows
RUNNING for longer than TASK_RUNNING_TIMEOUT back to READY, or marks them FAILED once
they have been started TASK_MAX_ATTEMPTS times (each start appends a worker id).

Our `manage.py db_worker` (apps.core.management.commands.db_worker) runs it when it starts
and every TASK_REAP_INTERVAL seconds. Every task must therefore be safe to run twice: a
task that outlives the timeout on a live worker is started again elsewhere.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = structlog.get_logger("inkwell.tasks")


class TaskInterrupted(Exception):  # noqa: N818  (the name is what an operator reads)
    """Recorded on a task whose worker stopped mid-run TASK_MAX_ATTEMPTS times."""


INTERRUPTED = f"{TaskInterrupted.__module__}.{TaskInterrupted.__qualname__}"


def reap_stale_tasks(*, now: datetime | None = None) -> tuple[int, int]:
    """Re-queue tasks RUNNING past the timeout, fail those out of attempts; return both counts.

    Safe from several workers at once: the rows are taken with SKIP LOCKED and re-checked.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TASK_RUNNING_TIMEOUT)
    requeued: list[str] = []
    failed: list[str] = []
    with transaction.atomic():
        stale = (
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
            .order_by("started_at")
        )
        for row in stale:
            if len(row.worker_ids) >= settings.TASK_MAX_ATTEMPTS:
                row.status = TaskResultStatus.FAILED
                row.finished_at = now
                row.return_value = None
                row.exception_class_path = INTERRUPTED
                row.traceback = (
                    f"{INTERRUPTED}: the worker stopped while running this task "
                    f"{len(row.worker_ids)} times (workers {', '.join(row.worker_ids)}); "
                    "it is not retried again.\n"
                )
                row.save(
                    update_fields=[
                        "status",
                        "finished_at",
                        "return_value",
                        "exception_class_path",
                        "traceback",
                    ]
                )
                failed.append(str(row.pk))
            else:
                row.status = TaskResultStatus.READY
                row.save(update_fields=["status"])
                requeued.append(str(row.pk))
    for pk in requeued:
        logger.warning("tasks.requeued_interrupted", task_id=pk)
    for pk in failed:
        logger.error("tasks.failed_interrupted", task_id=pk)
    return len(requeued), len(failed)


def start_reaping(interval: float | None = None) -> threading.Event:
    """Reap every `interval` seconds in a daemon thread; set the returned event to stop it."""
    seconds = interval if interval is not None else settings.TASK_REAP_INTERVAL
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                reap_stale_tasks()
            except Exception:  # a database blip must not end reaping for good
                logger.exception("tasks.reap_failed")
            finally:
                close_old_connections()

    threading.Thread(target=loop, name="inkwell-task-reaper", daemon=True).start()
    return stop
