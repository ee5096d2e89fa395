"""`manage.py db_worker`: django-tasks-db's worker, plus the reaper for interrupted tasks.

It replaces django_tasks_db's command of the same name (apps.core is listed before
django_tasks_db in INSTALLED_APPS, and the first app wins) and takes the same options.
Before the first task it re-queues tasks whose worker died mid-run, and then keeps doing
so every TASK_REAP_INTERVAL seconds (apps.core.reaper).

With `--metrics-port` (or WORKER_METRICS_PORT) it also serves its own Prometheus metrics
(tasks failed, emails, late scheduled posts: what runs here) on that port, plain HTTP
without a token, so bind it (`--metrics-host`, default loopback) where only Prometheus
reaches it (docs/monitoring.md).
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

import structlog
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from apps.core.reaper import reap_stale_tasks, start_reaping

logger = structlog.get_logger("inkwell.tasks")


class Command(db_worker.Command):
    help = "Run a database background worker; re-queue tasks whose worker died."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=int(os.environ.get("WORKER_METRICS_PORT", "0") or 0),
            help="Serve this worker's Prometheus metrics on this port (0: not at all).",
        )
        parser.add_argument(
            "--metrics-host",
            default=os.environ.get("WORKER_METRICS_HOST", "127.0.0.1"),
            help="The address the metrics port listens on.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the first process only watches files; its child does the work.
        watcher_only = (
            options.get("reload")
            and not options.get("batch")
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        port = options.pop("metrics_port", 0)
        host = options.pop("metrics_host", "127.0.0.1")
        if not watcher_only and port:
            serve_metrics(host, port)
        if not watcher_only:
            requeued, failed = reap_stale_tasks()
            logger.info("tasks.reaped_at_start", requeued=requeued, failed=failed)
            if not options.get("batch"):
                start_reaping()
        super().handle(*args, **options)


def serve_metrics(host: str, port: int) -> Any:
    """Serve this process's registry on host:port in a thread; the server, to shut down."""
    from prometheus_client import start_http_server

    try:
        server, _thread = start_http_server(port, addr=host)
    except OSError as error:
        raise CommandError(f"Cannot serve metrics on {host}:{port}: {error}") from error
    logger.info("tasks.metrics_serving", host=host, port=port)
    return server
