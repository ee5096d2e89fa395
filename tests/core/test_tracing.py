"""Tracing (apps.core.tracing): off and not even imported without a collector; on, one request
makes a server span with the database's and Redis's spans inside it, in one trace."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from apps.blog.models import Post
from apps.core import tracing
from tests.factories.blog import PostFactory
from tests.servers import ROOT, clean_env


def test_without_an_endpoint_tracing_is_never_imported():
    # redis-py 8 itself imports OpenTelemetry's API when it is installed (its optional
    # metrics, redis.observability); the tracing SDK, the exporter and the
    # instrumentations are ours to load, and stay out.
    code = (
        "import sys, django; django.setup();"
        "from django.test import Client; Client().get('/healthz');"
        "print(sorted(m for m in sys.modules if m.startswith(("
        "'opentelemetry.instrumentation', 'opentelemetry.sdk.trace', 'opentelemetry.exporter',"
        "'apps.core.tracing'))))"
    )
    env = clean_env(DJANGO_SETTINGS_MODULE="project.settings")
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_log_lines_inside_a_span_carry_its_ids():
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    assert "trace_id" not in tracing.add_trace_ids(None, "info", {})
    with tracer.start_as_current_span("work") as span:
        event = tracing.add_trace_ids(None, "info", {"event": "x"})
    context = span.get_span_context()
    assert event["trace_id"] == format(context.trace_id, "032x")
    assert event["span_id"] == format(context.span_id, "016x")


@pytest.fixture
def exporter() -> Iterator[Any]:
    """Tracing on in this process, into memory; pooled connections reopened so they are traced."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()

    def reopen() -> None:
        connection.close()
        if getattr(connection, "pool", None) is not None:
            connection.close_pool()  # type: ignore[attr-defined]  # PostgreSQL only

    reopen()
    tracing.configure("inkwell-test", processor=SimpleSpanProcessor(memory))
    try:
        yield memory
    finally:
        tracing.uninstrument()
        reopen()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_request_makes_a_server_span_with_database_and_redis_spans(exporter):
    from opentelemetry.trace import SpanKind

    post = PostFactory.create(status=Post.Status.PUBLISHED)
    exporter.clear()  # the factory's own queries

    response = Client().get(post.get_absolute_url())

    assert response.status_code == 200
    spans = exporter.get_finished_spans()
    [server] = [span for span in spans if span.kind == SpanKind.SERVER]
    attributes = dict(server.attributes or {})
    assert attributes.get("http.request.method", attributes.get("http.method")) == "GET"
    assert attributes.get("http.response.status_code", attributes.get("http.status_code")) == 200
    database = [
        s
        for s in spans
        if s.attributes.get("db.system.name", s.attributes.get("db.system")) == "postgresql"
    ]
    redis = [
        s
        for s in spans
        if s.attributes.get("db.system.name", s.attributes.get("db.system")) == "redis"
    ]
    assert database, [s.name for s in spans]
    assert redis, [s.name for s in spans]
    trace_id = server.context.trace_id
    # Every query and cache command of the request is a child in the request's trace.
    assert {s.context.trace_id for s in database + redis} == {trace_id}
    assert all(s.parent is not None for s in database + redis)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_health_probes_are_not_traced(exporter):
    assert Client().get("/healthz").status_code == 200
    assert exporter.get_finished_spans() == ()
