"""Refuses oversized request bodies with 413 before anything reads them."""

from __future__ import annotations

from django.conf import settings

from common.errors import error_response
from common.middleware import HybridMiddleware


def _refusal(request):
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return error_response(400, "bad_request", "Content-Length is not a number.")
    limit = settings.MAX_REQUEST_BODY_BYTES
    if length > limit:
        return error_response(413, "payload_too_large", "The request body is too large.", {"max_bytes": limit})
    return None


class BodySizeLimitMiddleware(HybridMiddleware):
    def before(self, request):
        return _refusal(request)
