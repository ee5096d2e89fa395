"""Logging (structlog)."""

from __future__ import annotations

from project.settings.environment import IS_PRODUCTION, env

LOG_FORMAT: str = env.str("LOG_FORMAT", default="json" if IS_PRODUCTION else "console")
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOGGING_CONFIG = None  # apps.core.logging configures logging once, in CoreConfig.ready()

# Tracing (apps.core.tracing): OpenTelemetry is imported only when a collector is named.
# The exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself.
TRACING_ENABLED: bool = bool(env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default=""))
OTEL_SERVICE_NAME: str = env.str("OTEL_SERVICE_NAME", default="inkwell")
