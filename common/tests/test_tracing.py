"""Optional tracing: one server span per request with the route and the request id, and the trace
context passed on to the next service."""

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from common import tracing

_exporter = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def _provider():
    tracing.configure(exporter=_exporter)  # the global provider can be set once per process


@pytest.fixture
def traced(settings):
    settings.OTEL_ENABLED = True
    settings.MIDDLEWARE = [settings.MIDDLEWARE[0], "common.tracing.TracingMiddleware", *settings.MIDDLEWARE[1:]]
    _exporter.clear()


def test_each_request_is_a_server_span_with_route_and_request_id(traced):
    from rest_framework.test import APIClient

    APIClient().post("/echo", {"name": "x", "quantity": 1}, format="json", headers={"X-Request-ID": "trace-1"})

    (span,) = _exporter.get_finished_spans()
    assert span.name == "POST echo"
    assert span.kind == trace.SpanKind.SERVER
    assert span.attributes["request_id"] == "trace-1"
    assert span.attributes["http.response.status_code"] == 200


def test_an_incoming_traceparent_continues_the_trace(traced):
    from rest_framework.test import APIClient

    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    APIClient().get("/healthz", headers={"traceparent": parent})

    (span,) = _exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"


def test_outgoing_calls_carry_the_current_trace(traced):
    headers: dict = {}
    with trace.get_tracer("t").start_as_current_span("work") as span:
        tracing.inject_context(headers)

    assert headers["traceparent"].split("-")[1] == format(span.get_span_context().trace_id, "032x")


def test_tracing_is_off_by_default(settings):
    headers: dict = {}
    with trace.get_tracer("t").start_as_current_span("work"):
        tracing.inject_context(headers)

    assert settings.OTEL_ENABLED is False
    assert headers == {}
    assert "common.tracing.TracingMiddleware" not in settings.MIDDLEWARE
