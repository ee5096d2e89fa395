"""A small in-process runner for periodic jobs, for the embedded default only.

The immediate task backend cannot defer work, so with it there is no worker to
publish a scheduled post on time. `manage.py serve` then starts this thread,
which calls each job in settings.INPROCESS_PERIODIC_JOBS every few seconds.
Production uses the database task backend and `db_worker` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog
from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = structlog.get_logger("inkwell.periodic")


def run_jobs_once(jobs: list[Callable[[], object]]) -> None:
    """Run each job once; a failing job is logged and does not stop the others."""
    for job in jobs:
        try:
            job()
        except Exception:  # a periodic job must never kill the runner
            logger.exception("periodic job failed", job=getattr(job, "__name__", repr(job)))
        finally:
            close_old_connections()


def start(interval: float | None = None) -> threading.Event:
    """Start the runner thread; set the returned event to stop it."""
    jobs = [import_string(path) for path in settings.INPROCESS_PERIODIC_JOBS]
    seconds = interval if interval is not None else settings.INPROCESS_PERIODIC_SECONDS
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            run_jobs_once(jobs)

    threading.Thread(target=loop, name="inkwell-periodic", daemon=True).start()
    logger.info("periodic jobs started", jobs=settings.INPROCESS_PERIODIC_JOBS, every=seconds)
    return stop
