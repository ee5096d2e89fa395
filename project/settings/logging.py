"""Logging (structlog)."""

from __future__ import annotations

from project.settings.environment import IS_PRODUCTION, env

LOG_FORMAT: str = env.str("LOG_FORMAT", default="json" if IS_PRODUCTION else "console")
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOGGING_CONFIG = None  # apps.core.logging configures logging once, in CoreConfig.ready()
