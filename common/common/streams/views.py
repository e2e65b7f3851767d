"""The HTTP side of a live stream: who may open it, the refusals, and the streaming response.

A service's stream view is a plain async view (DRF's are sync) that calls `serve` with its spec,
the kinds of user it is for, and `authorize`: everything else, admission and authentication
included, is here, cheapest checks first (ARCHITECTURE 4.4).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from django.conf import settings
from prometheus_client import Counter
from rest_framework import exceptions

from common.authentication import JWTAuthentication
from common.errors import ApiError, error_response, overloaded_response
from common.streams import admission
from common.streams.client import LiveStream
from common.streams.spec import Entry, StreamSpec

STREAMS_SHED = Counter("event_streams_shed_total", "Streams refused before opening, by reason", ["kind", "reason"])

# The streams this process serves: each holds its connection's descriptor.
SERVED = admission.ProcessStreams(descriptors_each=1)
_SHED_MESSAGES = {
    admission.FULL: "This server holds as many live streams as it can; try again shortly.",
    admission.OPENING: "This server is opening as many live streams as it can; try again shortly.",
}


async def serve(
    request,
    spec: StreamSpec,
    *,
    user_types: Iterable[str],
    authorize: Callable[[Any], Awaitable[tuple[str, list[Entry] | None]]],
):
    """A live stream for this request, or the contract's refusal, cheapest checks first:

    - this process is full or already opening as many streams as it can at once
      (`common.streams.admission`): a fast 503 with a jittered Retry-After, before any work;
    - no token or a bad one: 401; the wrong kind of user: 403;
    - `authorize(user)` (async) answers (subject, the subject's entries if it read them anyway), or
      raises the contract's error (404 for what is not theirs);
    - the user holds SSE_MAX_STREAMS_PER_USER streams already: 429 with Retry-After.
    """
    ticket = SERVED.take()
    if not isinstance(ticket, admission.Ticket):
        STREAMS_SHED.labels(spec.kind, ticket).inc()
        return overloaded_response(_SHED_MESSAGES[ticket])
    try:
        refusal, opened = await _open(request, spec, ticket, user_types=user_types, authorize=authorize)
    except BaseException:
        ticket.release()
        raise
    ticket.opened()
    if refusal is not None:
        ticket.release()
        return refusal
    subject, truth = opened
    stream = LiveStream(spec, subject, initial_truth=truth, ticket=ticket)
    response = admission.AdmittedStreamingResponse(
        stream.events(last_event_id_of(request)), ticket=ticket, content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _open(request, spec: StreamSpec, ticket: admission.Ticket, *, user_types, authorize):
    """(None, (subject, truth)) for a caller who may open this stream now, else (the refusal, None)."""
    user, refusal = stream_caller(request, user_types)
    if refusal is not None:
        return refusal, None
    try:
        opened = await authorize(user)
    except ApiError as exc:
        return error_response(exc.status_code, exc.code, exc.message, exc.details or None, headers=exc.headers), None
    if (wait_s := await ticket.take_user_slot(user.id)) > 0:
        STREAMS_SHED.labels(spec.kind, "user_cap").inc()
        refusal = error_response(
            429,
            "too_many_streams",
            f"At most {settings.SSE_MAX_STREAMS_PER_USER} live streams per user; close one first.",
            {"limit": settings.SSE_MAX_STREAMS_PER_USER},
            headers={"Retry-After": str(wait_s)},
        )
        return refusal, None
    return None, opened


def last_event_id_of(request) -> str | None:
    """`Last-Event-ID` as EventSource sends it on reconnecting, or `?last_event_id=` for clients
    that cannot set headers."""
    return request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")


def stream_caller(request, user_types: Iterable[str]):
    """(principal, None) for a caller of one of `user_types`, else (None, the contract's 401/403).
    Stream views are plain async views (DRF's are sync), so they authenticate here."""
    challenge = {"WWW-Authenticate": 'Bearer realm="api"'}
    try:
        auth = JWTAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed as exc:
        return None, error_response(401, "authentication_failed", str(exc.detail), headers=challenge)
    if auth is None:
        return None, error_response(
            401, "not_authenticated", "Authentication credentials were not provided.", headers=challenge
        )
    if auth[0].user_type not in user_types:
        return None, error_response(403, "permission_denied", "This route is not for your kind of account.")
    return auth[0], None
