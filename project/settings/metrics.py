"""Metrics (django-prometheus), and who may read them (apps.core.views.metrics)."""

from __future__ import annotations

from project.settings.environment import env

PROMETHEUS_EXPORT_MIGRATIONS = False

# /metrics answers only clients in these networks (CIDR, comma-separated) ...
METRICS_ALLOWED_NETWORKS: list[str] = env.list(
    "METRICS_ALLOWED_NETWORKS",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)
# ... and, when this is set, only with `Authorization: Bearer <METRICS_TOKEN>`.
# Production without a token is flagged by `check --deploy` (inkwell.W003).
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")

# Prometheus multiprocess mode (docs/monitoring.md): server processes that share
# PROMETHEUS_MULTIPROC_DIR sum their metrics on /metrics. Entry points that serve
# (project.wsgi, project.asgi, `manage.py serve`) decide first; everything else keeps its
# metrics per process and leaves the directory alone.
from apps.core import multiproc  # noqa: E402

multiproc.configure(multiproc.COMMAND)

# A READY task due for longer than this (seconds) counts in `inkwell_tasks_late`.
TASKS_LATE_AFTER: int = env.int("TASKS_LATE_AFTER", default=300)
# A scheduled post published more than this (seconds) after its time counts as late.
SCHEDULED_POST_LATE_AFTER: int = env.int("SCHEDULED_POST_LATE_AFTER", default=120)
