"""OpenTelemetry tracing: Django requests, psycopg queries and Redis commands.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (settings.TRACING_ENABLED): nothing here
imports OpenTelemetry before `configure` runs, so a site without a collector pays no
import time and no memory for it. When on, CoreConfig.ready() calls `configure` once per
process (web and ws workers, the task worker): spans go in batches to the OTLP/HTTP
endpoint, which the exporter reads from the standard OTEL_* variables (endpoint, headers,
timeout, sampler); the service is OTEL_SERVICE_NAME ("inkwell" unless set).

Every structured log line written inside a span carries its `trace_id` and `span_id`
(`add_trace_ids`, added to structlog's processors by apps.core.logging), so a slow
request's log lines lead to its trace and back.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

logger = structlog.get_logger("inkwell.tracing")

_provider: TracerProvider | None = None


def configure(service_name: str, *, processor: SpanProcessor | None = None) -> TracerProvider:
    """Start tracing in this process (once); `processor` replaces the OTLP exporter (tests)."""
    global _provider
    if _provider is not None:
        return _provider
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if processor is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter())
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    instrument(provider)
    _provider = provider
    logger.info("tracing.started", service=service_name)
    return provider


def instrument(provider: TracerProvider) -> None:
    """Trace Django's requests, psycopg's queries and redis-py's commands with `provider`."""
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    # /healthz, /readyz and /metrics are probed every few seconds: no traces for those.
    DjangoInstrumentor().instrument(
        tracer_provider=provider, excluded_urls="healthz,readyz,metrics"
    )
    # Django opens its pooled connections through psycopg.Connection.connect.
    PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    RedisInstrumentor().instrument(tracer_provider=provider)


def uninstrument() -> None:
    """Undo `instrument` and `configure` (tests)."""
    global _provider
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (DjangoInstrumentor(), PsycopgInstrumentor(), RedisInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    _provider = None


def add_trace_ids(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the current span's trace and span ids, when there is one."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict
