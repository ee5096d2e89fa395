"""System checks of our own, on top of Django's `check --deploy`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_embedded_secret_key(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[Error]:
    """The embedded development key is public: refuse it in a deployment."""
    if settings.SECRET_KEY == settings.EMBEDDED_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is Inkwell's public embedded development key.",
                hint="Set DJANGO_SECRET_KEY to at least 50 random characters.",
                id="inkwell.E001",
            )
        ]
    return []


@register(Tags.caches, deploy=True)
def check_shared_services(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Warning]:
    """In-process layers do not reach other workers: production wants Redis and PostgreSQL."""
    warnings: list[Warning] = []
    if not settings.REDIS_URL:
        warnings.append(
            Warning(
                "REDIS_URL is not set: the cache and channel layer are per process.",
                hint="With more than one server process, set REDIS_URL (stack-notes, trap 6).",
                id="inkwell.W001",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(
            Warning(
                "DATABASE_URL is not set: the site runs on SQLite.",
                hint="Set DATABASE_URL=postgres://… for production.",
                id="inkwell.W002",
            )
        )
    return warnings


@register(Tags.security, deploy=True)
def check_metrics_token(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Warning]:
    """In production /metrics wants a bearer token on top of the network allowlist."""
    if settings.IS_PRODUCTION and not settings.METRICS_TOKEN:
        return [
            Warning(
                "METRICS_TOKEN is not set: /metrics is protected by METRICS_ALLOWED_NETWORKS only.",
                hint="Set METRICS_TOKEN to a random string and give Prometheus the same token "
                "(authorization.credentials_file in infrastructure/monitoring/prometheus.yml).",
                id="inkwell.W003",
            )
        ]
    return []


@register(Tags.caches, deploy=True)
def check_resilient_cache(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Warning]:
    """A plain RedisCache turns a Redis outage into 503s and stale pages afterwards."""
    backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    if backend == "django.core.cache.backends.redis.RedisCache":
        return [
            Warning(
                "The default cache is Django's RedisCache: while Redis is down every "
                "signed-in request and cachalot query fails, and invalidations made during "
                "the outage are lost.",
                hint="Use apps.core.cache.ResilientRedisCache (the default with REDIS_URL).",
                id="inkwell.W004",
            )
        ]
    return []


@register(Tags.compatibility)
def check_metrics_directory(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[Warning]:
    """PROMETHEUS_MULTIPROC_DIR must be a directory the servers can write (apps.core.multiproc)."""
    from apps.core import multiproc

    if multiproc.requested is None:
        return []
    problem = multiproc.fallback_reason or multiproc.problem(multiproc.requested)
    if problem is None:
        return []
    return [
        Warning(
            f"{problem}: each server process will report only its own metrics.",
            hint="Create the directory (an emptyDir or tmpfs) writable by the server's user.",
            id="inkwell.W005",
        )
    ]
