"""A hot route answered before Django's handler (common/lean_routes.py): what it takes costs no
Django request and keeps the platform's per-request behaviour; what it does not take reaches Django
whole, as if it had never been looked at."""

import asyncio
import json
import threading

import pytest
from prometheus_client import REGISTRY

from common import overload
from common.asgi import PooledThreadsASGIHandler
from common.lean_routes import NO_CONTENT, LeanRoute, Reply, blocking, in_front_of
from common.request_id import current_request_id
from common.testing.asgi import answer_of, exchange, http_scope

ROUTE = "echo"


def _scope(*, method="POST", path="/echo", headers=(), body: bytes | None = None) -> dict:
    return http_scope(method, path, [(b"content-type", b"application/json"), *headers], body=body)


def _exchange(app, scope: dict, *pieces: bytes) -> list[dict]:
    scope["headers"].append((b"content-length", str(sum(map(len, pieces))).encode()))
    return exchange(app, scope, *pieces)


class Answers:
    """The route's own answer: takes a body naming a quantity above zero, keeps what it was given."""

    def __init__(self):
        self.given: list[tuple[dict, bytes]] = []

    async def __call__(self, scope, headers, body: bytes):
        self.given.append((headers, body))
        return NO_CONTENT if b'"quantity": 1' in body else None


@pytest.fixture
def answers():
    return Answers()


@pytest.fixture
def app(answers):
    return LeanRoute(PooledThreadsASGIHandler(), method="POST", path="/echo", route=ROUTE, answer=answers)


def _served(route: str, status: str) -> float:
    return REGISTRY.get_sample_value("http_requests_total", {"route": route, "method": "POST", "status": status}) or 0


def _headers(sent: list[dict]) -> dict[bytes, bytes]:
    return answer_of(sent)[1]


TAKEN = b'{"name": "tea", "quantity": 1}'
NOT_TAKEN = b'{"name": "tea", "quantity": 2}'


def test_what_it_takes_is_answered_without_a_django_request(app, answers, django_requests):
    counted = _served(ROUTE, "204")

    sent = _exchange(app, _scope(headers=[(b"x-request-id", b"abc-123")]), TAKEN)

    assert sent[0]["status"] == 204
    assert django_requests == []
    assert answers.given[0][0][b"content-type"] == b"application/json"
    assert answers.given[0][1] == TAKEN
    headers = _headers(sent)
    assert headers[b"x-request-id"] == b"abc-123"
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"x-frame-options"] == b"DENY"
    assert b"content-security-policy" in headers
    assert _served(ROUTE, "204") == counted + 1


def test_an_answer_over_https_has_hsts_where_it_is_switched_on(app, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    tls = [(b"x-forwarded-proto", b"https")]  # SECURE_PROXY_SSL_HEADER: the gateway says so

    over_tls = _headers(_exchange(app, _scope(headers=tls), TAKEN))
    plain = _headers(_exchange(app, _scope(), TAKEN))

    assert over_tls[b"strict-transport-security"] == b"max-age=3600"
    assert b"strict-transport-security" not in plain


def test_a_request_id_that_is_missing_or_wild_is_replaced(app):
    made = _headers(_exchange(app, _scope(), TAKEN))[b"x-request-id"]
    wild = _headers(_exchange(app, _scope(headers=[(b"x-request-id", b"a b\r\nc")]), TAKEN))[b"x-request-id"]

    assert len(made) == len(wild) == 32
    assert made != wild


def test_what_it_does_not_take_reaches_django_whole(app, django_requests):
    sent = _exchange(app, _scope(), NOT_TAKEN)

    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"]) == {"name": "tea", "quantity": 2}  # Django's view read the body
    assert len(django_requests) == 1


def test_a_body_in_pieces_or_too_large_is_django_s_to_answer(app, answers, django_requests):
    pieces = _exchange(app, _scope(), TAKEN[:10], TAKEN[10:])
    large = _exchange(app, _scope(), TAKEN[:-1] + b" " * 2000 + b"}")

    assert pieces[0]["status"] == 200
    assert json.loads(pieces[1]["body"])["quantity"] == 1
    assert large[0]["status"] == 200
    assert answers.given == []  # neither was looked at
    assert len(django_requests) == 2


def test_an_answer_that_breaks_leaves_the_request_to_django_and_is_logged(django_requests, caplog):
    async def answer(scope, headers, body):
        raise KeyError("a bug in the route's own code")

    app = LeanRoute(PooledThreadsASGIHandler(), method="POST", path="/echo", route=ROUTE, answer=answer)
    sent = _exchange(app, _scope(), TAKEN)

    assert sent[0]["status"] == 200  # Django's view answered it, not the server's bare 500
    assert len(django_requests) == 1
    assert "a bug in the route's own code" in caplog.text


def test_a_request_with_a_repeated_header_is_django_s_to_answer(app, answers, django_requests):
    # Django joins repeated fields ("Bearer a,Bearer b": no token at all); a dict would keep one.
    sent = _exchange(app, _scope(headers=[(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")]), TAKEN)

    assert sent[0]["status"] == 401  # Django's answer: the joined field is no token
    assert answers.given == []
    assert len(django_requests) == 1


def test_other_routes_and_methods_go_to_django(app, answers):
    other = _exchange(app, _scope(path="/thread", method="GET"))
    same_path = _exchange(app, _scope(method="GET"), b"")

    assert other[0]["status"] == 200
    assert same_path[0]["status"] == 405
    assert answers.given == []


def test_a_process_at_its_limit_sheds_it_as_django_would(app, answers, settings):
    settings.MAX_INFLIGHT_REQUESTS = 1
    assert overload.admit()  # another request holds the one place
    try:
        sent = _exchange(app, _scope(), TAKEN)
    finally:
        overload.release()

    assert sent[0]["status"] == 503
    assert json.loads(sent[1]["body"])["error"]["code"] == "overloaded"
    assert answers.given == []


def test_what_it_answers_holds_its_place_in_the_limit_while_it_works(answers, settings):
    settings.MAX_INFLIGHT_REQUESTS = 1
    seen = []

    async def answer(scope, headers, body):
        seen.append(overload.admit())  # the one place is this request's
        return NO_CONTENT

    app = LeanRoute(PooledThreadsASGIHandler(), method="POST", path="/echo", route=ROUTE, answer=answer)
    _exchange(app, _scope(), TAKEN)

    assert seen == [False]
    assert overload.admit()  # and given back after
    overload.release()


def test_a_reply_is_sent_whole_with_the_platform_s_headers_and_the_request_id_is_in_its_logs(django_requests):
    seen = {}

    async def answer(scope, headers, body):
        seen["on the loop"] = current_request_id.get()
        seen["on a thread"] = await blocking(current_request_id.get)  # what its blocking calls log
        return Reply(201, ((b"content-type", b"application/json"),), b'{"made": true}')

    app = LeanRoute(PooledThreadsASGIHandler(), method="POST", path="/echo", route=ROUTE, answer=answer)
    status, headers, body = answer_of(_exchange(app, _scope(headers=[(b"x-request-id", b"made-1")]), TAKEN))

    assert (status, headers[b"content-type"], body) == (201, b"application/json", b'{"made": true}')
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"x-request-id"] == b"made-1"
    assert seen == {"on the loop": "made-1", "on a thread": "made-1"}
    assert current_request_id.get() is None  # and only while it worked
    assert django_requests == []


def test_blocking_calls_run_side_by_side_as_many_as_a_process_admits(settings):
    # A slow dependency (Redis paused) must hold back no more requests than on Django's path,
    # where each admitted request has a thread: 100 calls that all wait for each other finish.
    together = threading.Barrier(100, timeout=10)

    async def hundred():
        return await asyncio.gather(*(blocking(together.wait) for _ in range(100)))

    assert settings.MAX_INFLIGHT_REQUESTS >= 100
    assert sorted(asyncio.run(hundred())) == list(range(100))


def test_with_tracing_on_every_request_goes_through_django_for_its_span(answers, settings):
    django = PooledThreadsASGIHandler()

    def lean(app):
        return LeanRoute(app, method="POST", path="/echo", route=ROUTE, answer=answers)

    settings.OTEL_ENABLED = False
    assert isinstance(in_front_of(django, lean), LeanRoute)
    settings.OTEL_ENABLED = True
    assert in_front_of(django, lean) is django
