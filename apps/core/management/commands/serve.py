"""Serve HTTP and WebSocket with uvicorn: the one command `make run`, `make serve` and the e2e tests use."""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tasks import default_task_backend

from apps.core import periodic


class Command(BaseCommand):
    help = "Serve the site over HTTP and WebSocket (ASGI, uvicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "1")),
            help="Server processes. More than one needs REDIS_URL (in-memory layers are per process).",
        )
        parser.add_argument("--reload", action="store_true", help="Restart on code changes.")

    def handle(
        self, *args: Any, host: str, port: int, workers: int, reload: bool, **options: Any
    ) -> None:
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if workers > 1 and not settings.REDIS_URL:
            raise CommandError(
                "More than one worker needs REDIS_URL: the in-memory cache and channel layer "
                "are per process, so live updates would not reach clients of other workers."
            )
        if not default_task_backend.supports_defer and not reload:
            # No worker can run deferred tasks: publish scheduled posts from here.
            periodic.start()
        self.stdout.write(
            f"Inkwell is serving on http://{host}:{port}/ (HTTP and WebSocket). Ctrl-C stops it."
        )
        uvicorn.run(
            "project.asgi:application",
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            reload_dirs=[
                str(settings.BASE_DIR / d) for d in ("apps", "project", "components", "templates")
            ]
            if reload
            else None,
            lifespan="off",  # Django has no lifespan handlers
            log_config=None,  # our structlog configuration (apps.core.logging) stays in charge
            access_log=False,  # RequestIdMiddleware logs each request once, with its id
            proxy_headers=True,
            forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
            ws_max_size=64 * 1024,
            timeout_graceful_shutdown=10,
        )
