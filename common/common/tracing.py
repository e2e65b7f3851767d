"""Optional OpenTelemetry tracing (off unless `OTEL_ENABLED=true`).

One server span per request (named after the route pattern, with the request id as an attribute),
the W3C `traceparent` taken from incoming requests and passed on to other services, and export
over OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (the SDK's own variables apply). When tracing is
off, nothing here runs: the middleware is not installed and no header is added.
"""

from __future__ import annotations

from django.conf import settings
from opentelemetry import propagate, trace

from common.middleware import HybridMiddleware

_tracer = trace.get_tracer("food-delivery")


def configure(exporter=None) -> None:
    """Installs the tracer provider; `exporter` replaces the OTLP exporter (tests)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": settings.SERVICE_NAME}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def inject_context(headers: dict[str, str]) -> None:
    """Adds `traceparent` for the current span to an outgoing request's headers."""
    if settings.OTEL_ENABLED:
        propagate.inject(headers)


class TracingMiddleware(HybridMiddleware):
    def before(self, request):
        parent = propagate.extract({key.lower(): value for key, value in request.headers.items()})
        request._span_scope = _tracer.start_as_current_span(
            request.method,
            context=parent,
            kind=trace.SpanKind.SERVER,
            attributes={
                "http.request.method": request.method,
                "url.path": request.path,
                "request_id": getattr(request, "request_id", ""),
            },
        )
        request._span = request._span_scope.__enter__()

    def after(self, request, response):
        span = request._span
        match = getattr(request, "resolver_match", None)
        route = getattr(request, "route_pattern", None) or (match.route if match is not None else None)
        if route:
            span.update_name(f"{request.method} {route}")
            span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 500:
            span.set_status(trace.StatusCode.ERROR)
        return response

    def cleanup(self, request) -> None:
        if (scope := getattr(request, "_span_scope", None)) is not None:
            scope.__exit__(None, None, None)
