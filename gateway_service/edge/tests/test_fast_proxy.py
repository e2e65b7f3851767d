"""The fast path (edge/fast_proxy.py) relays a call to a service before Django's handler, exactly as
Django's path relays it: the same status, headers and body to the client, the same request to the
upstream, for whatever a client sends (a property, generated with hypothesis). Both run here as ASGI
applications, the fast path in front of the gateway's Django handler and the handler alone, against
the echo upstream."""

import asyncio
import json
import re

import pytest
from django.core.signals import request_started
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from common.asgi import LeanASGIHandler
from common.request_id import RequestIdLogFilter
from common.testing.fast_paths import JSON_VALUES, Call, answer, calls
from edge import access_log, routes
from edge.fast_proxy import FastProxy
from edge.proxy import breaker

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
    "a browser's page": (("GET", "/restaurants"), {"headers": [("X-Request-ID", RID), ("Accept", "text/html")]}),
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


def test_an_upstream_that_is_down_is_the_same_fast_503(echo, run_async, settings, django_calls):
    settings.RATE_LIMITS_ENABLED = False
    settings.UPSTREAMS = {**settings.UPSTREAMS, "restaurant": "http://127.0.0.1:9"}

    fast, django, _, _ = _both(run_async, echo, ("GET", "/restaurants"), {"headers": [("X-Request-ID", RID)]})

    assert django_calls.count == 1
    assert fast == django
    assert fast[0] == 503
    assert json.loads(fast[2])["error"]["code"] == "upstream_unavailable"


LEFT_TO_DJANGO = {
    "a cross-origin call": (("GET", "/restaurants"), {"headers": [("Origin", "http://localhost:3000")]}),
    "a browser's call on its session": (
        ("GET", "/restaurants"),
        {"headers": [("Cookie", "fd_session=abc; csrftoken=x")]},
    ),
    "a live stream": (("GET", "/orders/o1/events"), {"headers": [("Authorization", "Bearer {customer}")]}),
    "the browsable API's assets": (("GET", "/static/rest_framework/css/default.css"), {}),
    "the live pages' assets": (("GET", "/static/pages/track.js"), {}),
    "a live page": (("GET", "/orders/o1/track"), {}),
    "the gateway's probe": (("GET", "/healthz"), {}),
    "an unknown route": (("GET", "/nothing/here"), {}),
    "a wrong method": (("DELETE", "/customers/register"), {}),
}


@pytest.mark.parametrize("name", list(LEFT_TO_DJANGO))
def test_every_other_call_is_django_s(name, echo, run_async, settings, issue_token, django_calls):
    settings.RATE_LIMITS_ENABLED = False
    request, kwargs = LEFT_TO_DJANGO[name]
    token = issue_token("customer")
    headers = [(n, v.format(customer=token)) for n, v in kwargs.get("headers", [])]
    kwargs = {**kwargs, "headers": [*headers, ("X-Request-ID", RID)]}

    async def scenario():
        return await _call(FastProxy(LeanASGIHandler()), *request, **kwargs)

    status, _, _ = run_async(scenario())

    assert django_calls.count == 1
    assert status != 500


def test_a_body_in_pieces_is_django_s_to_read(echo, run_async, settings, issue_token, django_calls):
    settings.RATE_LIMITS_ENABLED = False
    body = b'{"line1": "2 Dam Sq"}'
    token = f"Bearer {issue_token('customer')}".encode()
    call = Call(
        "POST", "/customers/me/addresses", ((b"authorization", token), (b"content-type", b"application/json")), body
    )

    answered = run_async(answer(FastProxy(LeanASGIHandler()), call, body[:5], body[5:]))

    assert answered.status == 201
    assert json.loads(answered.json()["body"]) == {"line1": "2 Dam Sq"}  # the upstream got all of it
    assert django_calls.count == 1


def test_a_process_at_its_in_flight_limit_leaves_the_call_to_django_which_sheds_it(
    echo, run_async, settings, django_calls
):
    settings.MAX_INFLIGHT_REQUESTS = 0

    async def scenario():
        return await _call(FastProxy(LeanASGIHandler()), "GET", "/restaurants")

    status, headers, body = run_async(scenario())

    assert status == 503
    assert json.loads(body)["error"]["code"] == "overloaded"
    assert headers["x-overloaded"] == ["true"]
    assert echo.received == []
    assert django_calls.count == 1


# The routes of the table (ids filled in) that the fast path relays: every one but streams and assets.
RELAYED = [
    (method, re.sub(r"\{[^}]+\}", "x1", route.pattern))
    for route in routes.ROUTES
    if not route.stream and not route.pattern.startswith("/static/")
    for method in sorted(route.methods)
]
ORIGINS = st.sampled_from([(), ((b"origin", b"http://localhost:3000"),), ((b"origin", b"https://elsewhere.example"),)])
# What a client may add: a browser's CSRF cookie (not a session), a header with an underscore, one
# sent twice, its own X-Forwarded-For, another Host.
EXTRAS = st.lists(
    st.sampled_from(
        [
            (b"cookie", b"csrftoken=abc"),
            (b"x_custom", b"1"),
            (b"x-custom", b"2"),
            (b"x-forwarded-for", b"6.6.6.6"),
            (b"host", b"evil.example"),
            (b"idempotency-key", b"k-1"),
        ]
    ),
    max_size=3,
)


def _without_request_id(seen: dict) -> dict:
    """What the upstream saw, without the request id the gateway made for the call (it differs from
    one call to the next, as the answers' own `X-Request-ID` does)."""
    return {
        **seen,
        "headers": {name: value for name, value in seen["headers"].items() if name.lower() != "x-request-id"},
    }


def _as_seen_upstream(answered):
    """An answer, the echo's account of the request in it read by `_without_request_id`."""
    if answered.status >= 300 or answered.body[:1] != b"{" or b'"headers"' not in answered.body:
        return answered
    return answered.status, answered.headers, _without_request_id(answered.json())


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_whatever_is_sent_both_paths_relay_alike(data, echo, run_async, settings, issue_token):
    settings.RATE_LIMITS_ENABLED = False  # the remaining count would differ between the two
    settings.ALLOWED_HOSTS = ["testserver", "food.example"]
    method, path = data.draw(st.sampled_from(RELAYED), "route")
    customer = f"Bearer {issue_token('customer')}".encode()
    others = [f"Bearer {issue_token('restaurant')}".encode(), b"Bearer forged.token.here", b"Basic abc"]
    bodies = (
        st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3) if method in ("POST", "PUT", "PATCH") else None
    )
    call = data.draw(calls(method, path, token=customer, other_tokens=others, valid_bodies=bodies))
    call = call.with_headers(*data.draw(ORIGINS, "origin"), *data.draw(EXTRAS, "extras"))
    echo.forced = data.draw(st.sampled_from([None, None, None, (204, {}), (500, {}), (404, {"Vary": "Accept"})]))

    async def relayed(app):
        breaker.cache_clear()  # each path meets the upstream's circuit closed, as the other did
        before = len(echo.received)
        answered = await answer(app, call)
        return answered, [_without_request_id(seen) for seen in echo.received[before:]]

    async def both():
        return await relayed(FastProxy(LeanASGIHandler())), await relayed(LeanASGIHandler())

    (fast, fast_seen), (django, django_seen) = run_async(both())

    event(f"answered {fast.status}")
    assert _as_seen_upstream(fast) == _as_seen_upstream(django)
    assert fast_seen == django_seen  # the same request upstream, or none


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
    """The fast path looks routes up in the table, before Django's URL resolver: a page or view of
    the gateway's own on a path of the table (as `/static/pages/...` is under `/static/{path}`) must
    stay Django's."""
    from django.urls import get_resolver, resolve

    from edge import views

    fast = FastProxy(LeanASGIHandler())
    for route in routes.ROUTES:
        path = re.sub(r"\{[^}]+\}", "x1", route.pattern)
        for method in route.methods:
            if fast.target({"method": method, "path": path}) is not None:
                assert resolve(path).func is views.proxy, f"{method} {path} is a view of the gateway's own"
    own = [p for p in get_resolver().url_patterns if getattr(p, "callback", None) is not views.proxy]
    for pattern in own:
        path = "/" + re.sub(r"<[^>]+>", "x1", str(pattern.pattern))
        for method in ("GET", "HEAD", "POST"):
            assert fast.target({"method": method, "path": path}) is None, f"{method} {path} is the gateway's own"
