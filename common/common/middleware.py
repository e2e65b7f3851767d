"""A base for middleware that runs natively both under WSGI and ASGI.

Django adapts a sync-only middleware under ASGI by moving the request into a thread; a middleware
that declares both capabilities avoids that. Subclasses say what to do before and after the rest
of the chain; this class does the sync/async plumbing once.
"""

from __future__ import annotations

import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction


class HybridMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def before(self, request):
        """Runs first; a response returned here is answered without going further."""
        return

    def after(self, request, response):
        """Runs on the way out; returns the response to send."""
        return response

    def cleanup(self, request) -> None:
        """Runs last, whatever happened (also when the chain raised)."""

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        try:
            early = self.before(request)
            if early is not None:
                return early
            return self.after(request, self.get_response(request))
        finally:
            self.cleanup(request)

    async def _acall(self, request):
        try:
            early = self.before(request)
            if early is not None:
                return early
            return self.after(request, await self.get_response(request))
        finally:
            self.cleanup(request)


class TimedMiddleware(HybridMiddleware):
    """Sees each response with the `time.monotonic()` at which its request reached this middleware
    (`served`): the request metrics and the gateway's access log."""

    def before(self, request):
        setattr(request, self._started, time.monotonic())

    def after(self, request, response):
        self.served(request, response, getattr(request, self._started))
        return response

    def served(self, request, response, started: float) -> None:
        raise NotImplementedError

    @property
    def _started(self) -> str:
        return f"_{type(self).__name__}_started"
