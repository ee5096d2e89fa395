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


class ClientFaultFilter(logging.Filter):
    """A client's broken frame is the client's fault: one warning line, not a traceback.

    uvicorn logs a text frame that is not UTF-8 with `logger.exception` (and closes the
    socket with 1007, as it should): any client could fill the log with stack traces.
    """

    MESSAGES = frozenset({"Invalid UTF-8 sequence received from client."})

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in self.MESSAGES:
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


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
    # On the logger itself, so that it holds whoever handles uvicorn's records.
    logging.getLogger("uvicorn.error").addFilter(ClientFaultFilter())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
