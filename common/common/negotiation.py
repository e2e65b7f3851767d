"""DRF's content negotiation, its answer kept for each distinct kind of request.

DRF parses the `Accept` header and matches it against the view's renderers on every request, while a
client library sends one header for all its calls. Here the answer is worked out by DRF once for
each (renderers, format, Accept) and kept in a bounded table; a refusal (406, or 404 for an unknown
`?format=`) is never kept, so DRF answers it each time.
"""

from __future__ import annotations

import functools

from django.http import HttpRequest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request


class CachedContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        form = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        index, media_type = _selected(tuple(map(type, renderers)), form, request.META.get("HTTP_ACCEPT"))
        return renderers[index], media_type


@functools.lru_cache(maxsize=1024)
def _selected(renderer_classes: tuple[type, ...], form: str | None, accept: str | None) -> tuple[int, str]:
    """(the renderer's place among the view's, the media type) DRF selects for such a request."""
    probe = HttpRequest()
    if accept is not None:
        probe.META["HTTP_ACCEPT"] = accept
    renderers = [renderer_class() for renderer_class in renderer_classes]
    renderer, media_type = DefaultContentNegotiation().select_renderer(Request(probe), renderers, form)
    return renderers.index(renderer), media_type
