"""Django's SecurityMiddleware and clickjacking middleware, and django-csp's CSP middleware, run
inline in one middleware that is async-capable.

Their hooks only read settings and set headers (no I/O), but under ASGI Django's `MiddlewareMixin`
runs a sync `process_request` and `process_response` through `sync_to_async`: three of them cost
six thread hops per request. Here they run where the request is, in the order Django would. The
platform's policy has no nonces and no per-view variants, so it is built once, not per response
(django-csp builds it every time, even when the header is already set).
"""

from __future__ import annotations

from dataclasses import asdict

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware

from common.middleware import HybridMiddleware


class _BuiltOnceCSP(CSPMiddleware):
    _built: tuple[int, str] | None = None

    def _policy(self, request, response) -> str:
        from django.conf import settings

        configured = id(getattr(settings, "CONTENT_SECURITY_POLICY", None))
        if self._built is None or self._built[0] != configured:
            parts = self.get_policy_parts(request=request, response=response)
            self._built = (configured, build_policy(**asdict(parts)))
        return self._built[1]

    def process_response(self, request, response):
        if HEADER in response or getattr(response, "_csp_exempt", False):
            return response
        per_view = any(hasattr(response, name) for name in ("_csp_config", "_csp_update", "_csp_replace"))
        if per_view or getattr(request, "_csp_nonce", None) is not None:
            return super().process_response(request, response)  # django-csp's own way
        response[HEADER] = self._policy(request, response)
        return response


def _unused(request):  # the wrapped middlewares are only asked for their hooks
    raise AssertionError("not called")


class SecurityHeadersMiddleware(HybridMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        self.parts = [SecurityMiddleware(_unused), XFrameOptionsMiddleware(_unused), _BuiltOnceCSP(_unused)]

    def before(self, request):
        for part in self.parts:
            if hasattr(part, "process_request") and (early := part.process_request(request)) is not None:
                return early
        return None

    def after(self, request, response):
        for part in reversed(self.parts):
            response = part.process_response(request, response)
        return response
