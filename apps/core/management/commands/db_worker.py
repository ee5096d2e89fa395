"""`manage.py db_worker`: django-tasks-db's worker, plus the reaper for interrupted tasks.

It replaces django_tasks_db's command of the same name (apps.core is listed before
django_tasks_db in INSTALLED_APPS, and the first app wins) and takes the same options.
Before the first task it re-queues tasks whose worker died mid-run, and then keeps doing
so every TASK_REAP_INTERVAL seconds (apps.core.reaper).
"""

from __future__ import annotations

import os
from typing import Any

import structlog
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from apps.core.reaper import reap_stale_tasks, start_reaping

logger = structlog.get_logger("inkwell.tasks")


class Command(db_worker.Command):
    help = "Run a database background worker; re-queue tasks whose worker died."

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the first process only watches files; its child does the work.
        watcher_only = (
            options.get("reload")
            and not options.get("batch")
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        if not watcher_only:
            requeued, failed = reap_stale_tasks()
            logger.info("tasks.reaped_at_start", requeued=requeued, failed=failed)
            if not options.get("batch"):
                start_reaping()
        super().handle(*args, **options)
