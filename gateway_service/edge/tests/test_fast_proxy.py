"""The fast path (edge/fast_proxy.py) answers an API client's call before Django, exactly as Django's
path answers it: the same status, headers and body to the client, the same request to the upstream.
Both run here as ASGI applications, the fast path in front of the gateway's Django handler and the
handler alone, against the echo upstream."""

import asyncio
import json
import re

import pytest
from django.core.signals import request_started

from common.asgi import LeanASGIHandler
from common.request_id import RequestIdLogFilter
from edge import access_log
from edge.fast_proxy import FastProxy

RID = "fast-1"  # a tame request id, so that both answers carry the same one


async def _call(app, method: str, raw_path: str, *, headers=(), body: bytes = b"", host: bytes = b"testserver"):
    from urllib.parse import unquote

    path, _, query = raw_path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", host), *[(name.lower().encode(), value.encode()) for name, value in headers]],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays
        return None

    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    headers = {}
    for name, value in start["headers"]:
        headers.setdefault(name.decode().lower(), []).append(value.decode("latin-1"))
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


class DjangoCalls:
    """Requests that reached Django's handler (its `request_started` signal), counted."""

    def __init__(self):
        self.count = 0

    def __call__(self, **kwargs):
        self.count += 1


@pytest.fixture
def django_calls():
    calls = DjangoCalls()
    request_started.connect(calls)
    yield calls
    request_started.disconnect(calls)


def _both(run_async, echo, request: tuple, kwargs: dict):
    """(fast path's answer, Django's answer, what the upstream got from each)."""
    django_app = LeanASGIHandler()

    async def scenario():
        fast = await _call(FastProxy(django_app), *request, **kwargs)
        fast_seen = echo.received[-1] if echo.received else None
        django = await _call(django_app, *request, **kwargs)
        django_seen = echo.received[-1] if echo.received else None
        return fast, django, fast_seen, django_seen

    return run_async(scenario())


def _upstream_view(seen: dict | None):
    """What the upstream got, header names in one case (HTTP's are case-insensitive; Django names
    the headers it forwards in title case, the fast path as the client sent them)."""
    if seen is None:
        return None
    return {**seen, "headers": {name.lower(): value for name, value in seen["headers"].items()}}


def _echoed(answer):
    """An answer whose body is the echo's account of the request, read as `_upstream_view`."""
    status, headers, body = answer
    return status, headers, _upstream_view(json.loads(body))


API_CALLS = {
    "public read with a query": (
        ("GET", "/restaurants?q=thai&page=2"),
        {
            "headers": [
                ("X-Request-ID", RID),
                ("X-Custom", "kept"),
                ("Connection", "keep-alive"),
                ("X-Forwarded-For", "6.6.6.6"),
                ("Accept", "application/json"),
            ]
        },
    ),
    "an escaped path": (("GET", "/restaurants/caf%C3%A9%20x/menu"), {"headers": [("X-Request-ID", RID)]}),
    "a JSON body with a token": (
        ("POST", "/customers/me/orders"),
        {
            "headers": [
                ("X-Request-ID", RID),
                ("Authorization", "Bearer {customer}"),
                ("Content-Type", "application/json"),
                ("Content-Length", "17"),
                ("Idempotency-Key", "k-1"),
            ],
            "body": b'{"items": [1, 2]}',
        },
    ),
    "a token route read": (
        ("GET", "/customers/me"),
        {"headers": [("X-Request-ID", RID), ("Authorization", "bearer {customer}")]},
    ),
}


@pytest.mark.parametrize("name", list(API_CALLS))
def test_an_api_call_is_answered_before_django_as_django_answers_it(
    name, echo, run_async, settings, issue_token, django_calls
):
    settings.RATE_LIMITS_ENABLED = False  # the remaining count would differ between the two
    request, kwargs = API_CALLS[name]
    token = issue_token("customer")
    kwargs = {**kwargs, "headers": [(n, v.format(customer=token)) for n, v in kwargs["headers"]]}

    fast, django, fast_seen, django_seen = _both(run_async, echo, request, kwargs)

    assert django_calls.count == 1  # Django's own answer only
    assert _echoed(fast) == _echoed(django)
    assert fast[0] in (200, 201)
    assert _upstream_view(fast_seen) == _upstream_view(django_seen)
    assert fast[1]["x-request-id"] == [RID]
    assert "nosniff" in fast[1]["x-content-type-options"]


@pytest.mark.parametrize(
    "forced",
    [(204, {}), (500, {}), (404, {"Content-Type": "application/json", "Vary": "Accept"})],
    ids=["no content", "an upstream error", "a refusal with a Vary of its own"],
)
def test_an_upstream_s_answer_of_any_kind_is_relayed_as_django_relays_it(
    forced, echo, run_async, settings, issue_token, django_calls
):
    settings.RATE_LIMITS_ENABLED = False
    echo.forced = forced
    token = [("Authorization", f"Bearer {issue_token('restaurant')}")]

    fast, django, _, _ = _both(run_async, echo, ("DELETE", "/restaurants/r1/menu/items/i1"), {"headers": token})
    fast, django = (
        _without_request_id(fast),
        _without_request_id(django),
    )

    assert fast == django
    assert fast[0] == forced[0]


def _without_request_id(answer):
    status, headers, body = answer
    assert len(headers.pop("x-request-id")[0]) == 32  # made by the gateway
    return status, headers, body


def test_an_upstream_that_is_down_is_the_same_fast_503(echo, run_async, settings, django_calls):
    settings.RATE_LIMITS_ENABLED = False
    settings.UPSTREAMS = {**settings.UPSTREAMS, "restaurant": "http://127.0.0.1:9"}

    fast, django, _, _ = _both(run_async, echo, ("GET", "/restaurants"), {"headers": [("X-Request-ID", RID)]})

    assert django_calls.count == 1
    assert fast == django
    assert fast[0] == 503
    assert json.loads(fast[2])["error"]["code"] == "upstream_unavailable"


LEFT_TO_DJANGO = {
    "a browser's cookie": (("GET", "/restaurants"), {"headers": [("Cookie", "fd_session=abc; csrftoken=x")]}),
    "a cross-origin call": (("GET", "/restaurants"), {"headers": [("Origin", "http://localhost:3000")]}),
    "a browser page": (("GET", "/restaurants"), {"headers": [("Accept", "text/html,application/xhtml+xml")]}),
    "a live stream": (("GET", "/orders/o1/events"), {"headers": [("Authorization", "Bearer {customer}")]}),
    "the browsable API's assets": (("GET", "/static/rest_framework/css/default.css"), {}),
    "the live pages' assets": (("GET", "/static/pages/track.js"), {}),
    "an unknown route": (("GET", "/nothing/here"), {}),
    "a wrong method": (("DELETE", "/customers/register"), {}),
    "no token": (("GET", "/customers/me"), {}),
    "a forged token": (("GET", "/customers/me"), {"headers": [("Authorization", "Bearer {forged}")]}),
    "a body over the limit": (
        ("POST", "/customers/register"),
        {"headers": [("Content-Length", "999999999")], "body": b"{}"},
    ),
    "a repeated header": (("GET", "/restaurants"), {"headers": [("X-A", "1"), ("X-A", "2")]}),
    "an underscore in a header's name": (("GET", "/restaurants"), {"headers": [("X_A", "1")]}),
    "a Host not allowed": (("GET", "/restaurants"), {"host": b"evil.example"}),
    "a forwarded Host not allowed": (("GET", "/restaurants"), {"headers": [("X-Forwarded-Host", "evil.example")]}),
}


@pytest.mark.parametrize("name", list(LEFT_TO_DJANGO))
def test_every_other_call_is_django_s(name, echo, run_async, settings, issue_token, django_calls):
    settings.RATE_LIMITS_ENABLED = False
    settings.ALLOWED_HOSTS = ["testserver"]
    request, kwargs = LEFT_TO_DJANGO[name]
    token = issue_token("customer")
    forged = token[:-4] + "AAAA"
    headers = [(n, v.format(customer=token, forged=forged)) for n, v in kwargs.get("headers", [])]
    kwargs = {**kwargs, "headers": [*headers, ("X-Request-ID", RID)]}

    async def scenario():
        return await _call(FastProxy(LeanASGIHandler()), *request, **kwargs)

    status, _, _ = run_async(scenario())

    assert django_calls.count == 1
    assert status != 500


def test_a_process_at_its_in_flight_limit_sheds_through_django(echo, run_async, settings, django_calls):
    settings.MAX_INFLIGHT_REQUESTS = 0

    async def scenario():
        return await _call(FastProxy(LeanASGIHandler()), "GET", "/restaurants")

    status, _, body = run_async(scenario())

    assert status == 503
    assert json.loads(body)["error"]["code"] == "overloaded"
    assert echo.received == []


def test_fast_calls_count_against_the_rate_limit(echo, run_async, settings, issue_token, django_calls):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_DEFAULT_PER_MINUTE = 2
    headers = [("Authorization", f"Bearer {issue_token('customer')}")]

    async def scenario():
        app = FastProxy(LeanASGIHandler())
        return [await _call(app, "GET", "/customers/me", headers=headers) for _ in range(3)]

    answers = run_async(scenario())

    assert django_calls.count == 0
    assert [status for status, _, _ in answers] == [200, 200, 429]
    assert answers[0][1]["ratelimit"] == ['"default";r=1;t=60']
    assert answers[2][1]["retry-after"]
    assert json.loads(answers[2][2])["error"]["code"] == "rate_limited"
    assert len(echo.received) == 2


def test_a_fast_call_is_logged_and_measured_as_any_other(echo, run_async, settings, caplog, django_calls):
    settings.RATE_LIMITS_ENABLED = False
    labels = {"route": "/restaurants/{rid}/menu", "upstream": "restaurant", "status": "200"}
    before = access_log.REQUESTS.labels(*labels.values())._sum.get()

    async def scenario():
        return await _call(FastProxy(LeanASGIHandler()), "GET", "/restaurants/r1/menu", headers=[("X-Request-ID", RID)])

    caplog.handler.addFilter(RequestIdLogFilter())  # as the console handler reads the request's id
    with caplog.at_level("INFO", logger="gateway.access"):
        run_async(scenario())

    assert django_calls.count == 0
    assert access_log.REQUESTS.labels(*labels.values())._sum.get() > before
    (line,) = [r for r in caplog.records if r.name == "gateway.access"]
    assert (line.route, line.upstream, line.status, line.method) == (
        "/restaurants/{rid}/menu",
        "restaurant",
        200,
        "GET",
    )
    assert line.request_id == RID


def test_every_path_the_fast_path_takes_is_one_django_would_proxy():
    """The fast path answers before Django's URL resolver: a page or view of the gateway's own on a
    path of the route table (as `/static/pages/...` is under `/static/{path}`) must stay Django's."""
    from django.urls import get_resolver, resolve

    from edge import routes, views
    from edge.fast_proxy import _route_of

    for route in routes.ROUTES:
        path = re.sub(r"\{[^}]+\}", "x1", route.pattern)
        for method in route.methods:
            if _route_of({"method": method, "path": path}) is not None:
                assert resolve(path).func is views.proxy, f"{method} {path} is a view of the gateway's own"
    own = [p for p in get_resolver().url_patterns if getattr(p, "callback", None) is not views.proxy]
    for pattern in own:
        path = "/" + re.sub(r"<[^>]+>", "x1", str(pattern.pattern))
        for method in ("GET", "HEAD", "POST"):
            assert _route_of({"method": method, "path": path}) is None, f"{method} {path} is the gateway's own"
