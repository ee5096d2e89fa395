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
