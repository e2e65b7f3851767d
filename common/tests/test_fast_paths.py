"""Fast paths (common/fast_paths/): a route's requests answered by its own view, its middleware run
inline, as Django's handler answers them but without a Django request; what a fast path declines
reaches Django's handler whole, as if it had never been looked at."""

import asyncio
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from common import overload
from common.asgi import PooledThreadsASGIHandler
from common.fast_paths import FastRoutes, blocking, in_front_of
from common.testing.fast_paths import Call, answer_now, calls, header
from tests import urls
from tests.urls import closing

ROUTES = {
    ("POST", "thing-list"): urls.thing_made,
    ("GET", "thing-list"): urls.things_seen,
    ("PUT", "thing-detail"): urls.thing_put,
    ("PATCH", "thing-detail"): urls.thing_patched,
    ("DELETE", "thing-detail"): urls.thing_broken,
}
TEA = b'{"name": "tea", "quantity": 1}'


@pytest.fixture
def fast():
    return FastRoutes(PooledThreadsASGIHandler(), ROUTES)


def _thing(body: bytes = TEA, *headers, query=b"") -> Call:
    return Call("POST", "/things", ((b"content-type", b"application/json"), *headers), body, query)


def _served(route: str, method: str, status: str) -> float:
    labels = {"route": route, "method": method, "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0


def test_a_route_it_serves_is_answered_as_its_view_answers_without_a_django_request(fast, django_requests):
    counted = _served("^things$", "POST", "201")

    answer = answer_now(fast, _thing(TEA, (b"x-request-id", b"abc-123")))

    assert (answer.status, answer.json()) == (201, {"name": "tea", "quantity": 1})
    assert django_requests == []
    assert answer.request_id == b"abc-123"
    assert header(answer, b"x-content-type-options") == b"nosniff"
    assert header(answer, b"x-frame-options") == b"DENY"
    assert header(answer, b"content-security-policy")
    assert (header(answer, b"vary"), header(answer, b"allow")) == (b"Accept", b"GET, POST, HEAD, OPTIONS")
    assert _served("^things$", "POST", "201") == counted + 1  # the metrics' route is Django's pattern


VALID_ECHO = st.fixed_dictionaries({"name": st.text(max_size=12), "quantity": st.integers(-2, 3)})


@pytest.fixture
def with_hsts(settings):
    # As in production: HSTS on a call over HTTPS (X-Forwarded-Proto). Django's middleware reads
    # the setting once, so it is set before either path is made.
    settings.SECURE_HSTS_SECONDS = 3600


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_whatever_is_sent_its_answer_is_django_s(data, with_hsts, issue_token):
    customer = f"Bearer {issue_token('customer', sub='c1')}".encode()
    others = [f"Bearer {issue_token('courier')}".encode(), b"Bearer not.a.token", b"Basic abc"]
    call = data.draw(calls("POST", "/things", token=customer, other_tokens=others, valid_bodies=VALID_ECHO))

    fast = answer_now(FastRoutes(PooledThreadsASGIHandler(), ROUTES), call)
    django = answer_now(PooledThreadsASGIHandler(), call)

    event(f"answered {fast.status}")
    assert fast == django


def test_an_answer_that_breaks_gets_the_contract_s_500_there_and_never_reaches_django(fast, django_requests, caplog):
    answer = answer_now(fast, Call("DELETE", "/things/t1"))

    assert answer.status == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert b"secret internals" not in answer.body
    assert django_requests == []  # a view that may have done its work is never run a second time
    assert "secret internals must not leak" in caplog.text  # logged with its traceback
    assert answer == answer_now(PooledThreadsASGIHandler(), Call("DELETE", "/things/t1"))


def test_what_it_does_not_serve_reaches_django(fast, django_requests):
    other_route = answer_now(fast, Call("POST", "/conflict"))
    other_method = answer_now(fast, Call("OPTIONS", "/things"))

    assert other_route.status == 409
    assert other_method.status == 200
    assert len(django_requests) == 2


def test_a_body_in_pieces_reaches_django_whole(fast, django_requests):
    answer = answer_now(fast, _thing(), TEA[:10], TEA[10:])

    assert (answer.status, answer.json()) == (201, {"name": "tea", "quantity": 1})  # Django read it all
    assert len(django_requests) == 1


def test_a_request_django_cannot_decode_is_refused_there(fast, django_requests):
    answer = answer_now(fast, _thing(TEA, query=b"q=\xff"))

    assert answer.status == 400
    assert len(django_requests) == 1


def test_a_process_at_its_limit_leaves_the_request_to_django_which_sheds_it(fast, settings, django_requests):
    settings.MAX_INFLIGHT_REQUESTS = 1
    assert overload.admit()  # another request holds the one place
    try:
        shed = answer_now(fast, _thing())
    finally:
        overload.release()
    served = answer_now(fast, _thing())  # the place the shed request never took is free

    assert shed.status == 503
    assert shed.json()["error"]["code"] == "overloaded"
    assert header(shed, b"x-overloaded") == b"true"
    assert len(django_requests) == 1  # Django's middleware shed it
    assert served.status == 201  # and the one the fast path took is given back


def test_what_the_view_would_not_answer_with_its_answer_is_django_s(fast, issue_token, django_requests):
    refused = answer_now(fast, _thing(b'{"name": "tea"}'))  # the serializer refuses it
    page = answer_now(fast, _thing(TEA, (b"accept", b"text/html")))  # the browsable page
    form = answer_now(
        fast,
        Call("POST", "/things", ((b"content-type", b"application/x-www-form-urlencoded"),), b"name=tea&quantity=1"),
    )
    bad_token = answer_now(fast, _thing(TEA, (b"authorization", b"Bearer forged.token.here")))

    assert (refused.status, page.status, form.status, bad_token.status) == (400, 201, 201, 401)
    assert header(page, b"content-type") == b"text/html; charset=utf-8"
    assert len(django_requests) == 4


def test_a_sync_answer_runs_on_a_thread_of_the_pool_with_the_request_id_in_its_logs(fast):
    answer = answer_now(
        fast, Call("PUT", "/things/t1", ((b"content-type", b"application/json"), (b"x-request-id", b"rid-7")), TEA)
    )

    assert answer.json()["request_id"] == "rid-7"
    assert answer.json()["thread"].startswith("fast-path")


def test_an_async_answer_runs_on_the_event_loop(fast):
    answer = answer_now(fast, Call("GET", "/things", ((b"x-request-id", b"rid-8"),)))

    assert answer.json() == {"request_id": "rid-8", "thread": "MainThread"}


def test_the_answer_is_closed_once_sent(fast, django_requests):
    closing.closed_on.clear()

    answer = answer_now(fast, Call("PATCH", "/things/t1", ((b"content-type", b"application/json"),), b'{"name": "x"}'))

    assert answer.json() == {"name": "x"}
    assert len(closing.closed_on) == 1
    assert django_requests == []


def test_blocking_calls_run_side_by_side_as_many_as_a_process_admits(settings):
    # A slow dependency (Redis paused) must hold back no more requests than on Django's path,
    # where each admitted request has a thread: 100 calls that all wait for each other finish.
    together = threading.Barrier(100, timeout=10)

    async def hundred():
        return await asyncio.gather(*(blocking(together.wait) for _ in range(100)))

    assert settings.MAX_INFLIGHT_REQUESTS >= 100
    assert sorted(asyncio.run(hundred())) == list(range(100))


def test_with_a_middleware_it_does_not_stand_in_for_every_request_is_django_s(settings):
    django = PooledThreadsASGIHandler()
    assert isinstance(FastRoutes.in_front_of(django, ROUTES), FastRoutes)

    # Tracing's span per request is middleware: with tracing on, Django answers every request.
    settings.MIDDLEWARE = [settings.MIDDLEWARE[0], "common.tracing.TracingMiddleware", *settings.MIDDLEWARE[1:]]

    assert FastRoutes.in_front_of(django, ROUTES) is django
    with pytest.raises(ImproperlyConfigured, match="TracingMiddleware"):
        FastRoutes(django, ROUTES)


def test_fast_routes_name_urls_that_exist():
    with pytest.raises(ImproperlyConfigured, match="no-such-route"):
        FastRoutes(PooledThreadsASGIHandler(), {("GET", "no-such-route"): urls.things_seen})


def test_a_service_s_fast_routes_are_its_settings_and_can_be_switched_off(settings):
    django = PooledThreadsASGIHandler()
    settings.FAST_ROUTES = ROUTES

    assert in_front_of(django).answers == ROUTES
    settings.FAST_PATHS = False
    assert in_front_of(django) is django


def test_it_answers_only_an_http_request(fast):
    # Lifespan and websocket scopes are the handler's (Django refuses them).
    with pytest.raises(ValueError, match="websocket"):
        asyncio.run(fast({"type": "websocket", "path": "/things"}, None, None))
