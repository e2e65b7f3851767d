"""The contract's error format, `{"error": {"code", "message", "details"}}`, for every failure.

Domain code raises `ApiError` subclasses with a stable `code`; DRF's own exceptions and anything
unexpected are mapped here too, so no view ever answers with HTML or a traceback.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from common.asgi import mark_logged

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with the contract's shape. Subclasses declare theirs in the class line, which is
    the whole of most of them: `class OrderNotFound(NotFound, code="order_not_found", message=...): ...`
    (the status comes from the base unless given)."""

    status_code = 400
    code = "invalid"
    message = "The request is invalid."

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None, message: str | None = None):
        super().__init_subclass__()
        cls.status_code = status or cls.status_code
        cls.code = code or cls.code
        cls.message = message or cls.message

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.message = message or self.message
        self.code = code or self.code
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)


class InvalidInput(ApiError, status=400, code="invalid"): ...


class Unauthorized(
    ApiError,
    status=401,
    code="not_authenticated",
    message="Authentication credentials were not provided or are invalid.",
): ...


class Forbidden(
    ApiError, status=403, code="permission_denied", message="You do not have permission to perform this action."
): ...


class NotFound(ApiError, status=404, code="not_found", message="Not found."): ...


class Conflict(ApiError, status=409, code="conflict", message="The request conflicts with the current state."): ...


class PayloadTooLarge(ApiError, status=413, code="payload_too_large", message="The request body is too large."): ...


class RateLimited(ApiError, status=429, code="rate_limited", message="Too many requests; try again later."):
    def __init__(self, retry_after: int, message: str | None = None, **kwargs):
        headers = {"Retry-After": str(max(1, int(retry_after)))}
        super().__init__(message, headers=headers, **kwargs)


class ServiceUnavailable(
    ApiError,
    status=503,
    code="service_unavailable",
    message="A service this request depends on is unavailable; try again shortly.",
):
    def __init__(self, message: str | None = None, *, retry_after: int = 5, **kwargs):
        kwargs.setdefault("headers", {})["Retry-After"] = str(max(1, int(retry_after)))
        super().__init__(message, **kwargs)


class GatewayTimeout(
    ServiceUnavailable,
    status=504,
    code="upstream_timeout",
    message="A service this request depends on did not answer in time.",
): ...


# Marks a 503 by which a service sheds load on purpose (it is up): callers' circuit breakers do not
# count it as a failure, and clients retry after its jittered Retry-After.
OVERLOADED_HEADER = "X-Overloaded"


def overloaded_response(message: str):
    """The 503 `overloaded` of a process protecting itself, with a Retry-After of 1..SSE_SHED_RETRY_MAX_S
    seconds at random: the shed clients come back spread out, not as one wave."""
    retry_after_s = random.randint(1, max(1, settings.SSE_SHED_RETRY_MAX_S))  # noqa: S311 (jitter, not a secret)
    return not_logged_as_error(
        error_response(
            503,
            "overloaded",
            message,
            {"retry": "later"},
            headers={"Retry-After": str(retry_after_s), OVERLOADED_HEADER: "true"},
        )
    )


def not_logged_as_error(response):
    """Marks a shed 503 as logged: shedding is a process doing its job, counted by its metrics
    (requests_shed_total, event_streams_shed_total), and in a reconnect storm Django's error line
    per 5xx was thousands of lines a second and a tenth of the gateway's time."""
    return mark_logged(response)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(status: int, code: str, message: str, details: dict | None = None, headers=None) -> JsonResponse:
    response = JsonResponse(error_body(code, message, details), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


_MALFORMED = ("bad_request", "The request is malformed.")

_DRF_CODES = {
    drf_exceptions.ParseError: "malformed_request",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "rate_limited",
}


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception becomes the contract's JSON error."""
    if isinstance(exc, ApiError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code, headers=exc.headers)
    if isinstance(exc, SuspiciousOperation):
        # A request Django refuses (a Host outside ALLOWED_HOSTS...): its 400, as outside a view.
        return Response(error_body(*_MALFORMED), status=400)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    if isinstance(exc, drf_exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return Response(error_body("invalid", "The request is invalid.", details), status=400)
    if isinstance(exc, drf_exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return Response(error_body(code, str(exc.detail)), status=exc.status_code, headers=headers)

    logger.exception("unhandled error", extra={"view": type(context.get("view")).__name__})
    return Response(error_body("internal_error", "An unexpected error occurred."), status=500)


# Django-level handlers for anything that never reached a DRF view (unknown URLs, crashes in
# middleware). They are wired as handler404/handler500 in every service's urls.py.
def handler400(request, exception=None):
    return error_response(400, *_MALFORMED)


def handler403(request, exception=None):
    return error_response(403, "permission_denied", "You do not have permission to perform this action.")


def handler404(request, exception=None):
    return error_response(404, "not_found", "No such resource.", {"path": request.path})


def handler500(request):
    return error_response(500, "internal_error", "An unexpected error occurred.")
