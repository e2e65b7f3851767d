"""The platform's lean ASGI handlers (common/asgi.py, which reach into Django's private names) answer
as Django's own `ASGIHandler` does: a service's suite sends a sample of every route it serves through
both and compares the answers (status, headers but the request id, body but a page's CSRF token)."""

from __future__ import annotations

import re

from django.core.handlers.asgi import ASGIHandler
from django.urls import URLPattern, URLResolver, get_resolver

from common.asgi import PooledThreadsASGIHandler
from common.testing.fast_paths import Call, answer_now

# A made-up id for every path parameter: a well-formed ObjectId that names nothing.
ID = "6b12f31c75bd8e5eac6ecdd3"
_PARAMETER = re.compile(r"<(?:[^>:]+:)?[^>]+>|\(\?P<[^>]+>[^)]*\)")
# Routes a sample leaves out: live streams never end, and the metrics change with every request.
_LEFT_OUT = re.compile(r"(^|/)events$|^metrics$")


def route_paths(resolver=None, prefix: str = "") -> list[str]:
    """A concrete path for every route of the URLconf, its parameters filled with `ID`."""
    paths = []
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = str(entry.pattern).removeprefix("^").removesuffix("$").removesuffix(r"\Z")
        path = prefix + _PARAMETER.sub(ID, pattern)
        if isinstance(entry, URLResolver):
            paths += route_paths(entry, path)
        elif isinstance(entry, URLPattern) and not _LEFT_OUT.search(path) and path != ".*":
            paths.append(path)
    return paths


def sample(tokens: list[bytes | None], *, paths: list[str] | None = None) -> list[Call]:
    """Every route read (GET, HEAD, OPTIONS) with each of `tokens` (None: no token), for JSON and for
    the browsable page; every route written to (POST, PUT, PATCH, DELETE) without a token and with a
    body that is not JSON, which every view refuses before it does anything."""
    calls = []
    for path in paths if paths is not None else route_paths():
        for method in ("GET", "HEAD", "OPTIONS"):
            for token in tokens:
                for accept in (b"application/json", b"text/html"):
                    auth = ((b"authorization", token),) if token else ()
                    calls.append(Call(method, "/" + path, ((b"accept", accept), *auth)))
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            calls.append(Call(method, "/" + path, ((b"content-type", b"application/json"),), b'{"broken": '))
    return calls


def assert_answered_alike(calls: list[Call], lean=PooledThreadsASGIHandler) -> None:
    """Each call answered by `lean` as Django's stock handler answers it."""
    stock = ASGIHandler()
    for call in calls:
        lean_answer, stock_answer = answer_now(lean(), call), answer_now(stock, call)
        assert lean_answer == stock_answer, (call, set(lean_answer.headers) ^ set(stock_answer.headers))
