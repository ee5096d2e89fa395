"""Structured logs: JSON lines in production, readable lines in development.

Django's and the libraries' stdlib logging goes through the same structlog
processors, so every line carries the request id bound by RequestIdMiddleware.

No secret that rides in a URL reaches the log: every line that leaves our handler is
passed through `redact` (query parameters named like secrets, such as the mobile app's
`?access_token=`, bearer tokens, JWTs; tracebacks and their locals included), and the
servers' own access loggers, which may have handlers of their own (uvicorn run directly,
granian's access log), get `RedactSecretsFilter`. docs/deployment.md ("Logs") says what
is redacted; infrastructure/nginx/inkwell.conf does the same for nginx's access log.
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any

import structlog
from django.conf import settings

_configured = False

REDACTED = "[redacted]"

# A query parameter (or cookie, or `name=value` pair) whose name says it holds a secret:
# access, refresh and CSRF tokens, passwords, API keys, signatures (S3's X-Amz-Signature),
# sessions, OAuth codes, one-time passwords. Its value ends where a URL, a quoted string or
# a cookie header would end it.
_SECRET_PARAMETER = re.compile(
    r"(?<![\w.\-])("
    r"[\w.\-]*(?:token|secret|passw(?:or)?d|pwd|api[_\-]?key|credential|signature|session)[\w.\-]*"
    r"|code|key|sig|otp|auth|jwt"
    r")=[^&\s\"'#;,<>\\]+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?<![\w])(bearer\s+)[\w.~+/\-]+=*", re.IGNORECASE)
# A JWT anywhere (a variable in a traceback's locals, a token in a message).
_JWT = re.compile(r"\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]+")

# The servers' loggers that write URLs (uvicorn's WebSocket "accepted" line goes to
# uvicorn.error), and Django's.
URL_LOGGERS = (
    "uvicorn.error",
    "uvicorn.access",
    "granian.access",
    "django.request",
    "django.server",
)


def redact(text: str) -> str:
    """`text` with secret query parameters, bearer tokens and JWTs replaced by [redacted]."""
    if "=" in text:
        text = _SECRET_PARAMETER.sub(rf"\1={REDACTED}", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    return _JWT.sub(REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    """Redact a record's message before any handler (ours or the server's own) formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            message = record.getMessage()
            redacted = redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        return True


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """Our one formatter: whatever it renders (event fields, tracebacks, locals) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


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


class OutageLogFilter(logging.Filter):
    """Drop django.request's traceback for a backing-service outage.

    `apps.core.views.server_error` answered it with a 503 and logged one line naming the
    service ("backing service unavailable"); the same traceback once per request would bury
    it. Any other exception keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from apps.core.middleware import unavailable_part

        exc_info = record.exc_info
        return not (exc_info and exc_info[1] is not None and unavailable_part(exc_info[1]))


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
    if settings.TRACING_ENABLED:
        from apps.core.tracing import add_trace_ids

        shared.insert(1, add_trace_ids)  # trace_id and span_id of the current span
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
                    "()": RedactingFormatter,
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
    # On the loggers themselves, so that they hold whoever handles these records.
    logging.getLogger("uvicorn.error").addFilter(ClientFaultFilter())
    logging.getLogger("django.request").addFilter(OutageLogFilter())
    for name in URL_LOGGERS:
        logging.getLogger(name).addFilter(RedactSecretsFilter())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
