"""Structured logs: JSON lines in production, readable lines in development.

Django's and the libraries' stdlib logging goes through the same structlog
processors, so every line carries the request id bound by RequestIdMiddleware.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

import structlog
from django.conf import settings

_configured = False


def configure_logging() -> None:
    """Configure stdlib logging and structlog once per process."""
    global _configured
    if _configured:
        return
    _configured = True

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any
    if settings.LOG_FORMAT == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)

    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structlog": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "processors": [
                        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        renderer,
                    ],
                    "foreign_pre_chain": shared,
                }
            },
            "handlers": {
                "console": {"class": "logging.StreamHandler", "formatter": "structlog"},
            },
            "root": {"handlers": ["console"], "level": settings.LOG_LEVEL},
            "loggers": {
                # Our request logger says the same thing once, with the request id.
                "django.server": {"level": "WARNING"},
                "uvicorn.access": {"level": "WARNING"},
                "django.db.backends": {"level": "INFO"},
            },
        }
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
