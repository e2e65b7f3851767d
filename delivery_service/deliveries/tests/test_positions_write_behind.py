"""Positions at the cost of a read: Redis is the live truth, MongoDB a copy written behind
(deliveries/tracking.py), the report answered before Django's handler (deliveries/fast.py), against
the real Redis and store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from common.asgi import PooledThreadsASGIHandler
from common.contracts import order_location
from common.testing.asgi import answer_of, exchange, http_scope
from deliveries import fast, repository, tracking

NEAR = (52.371, 4.891)
LATER = (52.372, 4.892)


def _at(api_client, headers, position, **extra):
    lat, lng = position
    return api_client.post("/couriers/me/location", {"lat": lat, "lng": lng}, format="json", headers=headers, **extra)


@pytest.fixture
def kai(api_client, courier):
    courier_id, headers = courier
    api_client.get("/couriers/me", headers=headers)  # the profile exists
    return courier_id, headers


def _reported(headers: dict, body) -> tuple[int, dict, bytes]:
    """A report as the service's ASGI application serves it: status, headers, body."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    raw_headers = [(b"content-type", b"application/json")]
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    scope = http_scope("POST", "/couriers/me/location", raw_headers, body=raw)
    return answer_of(exchange(fast.with_position_reports(PooledThreadsASGIHandler()), scope, raw))


def _served(status: str) -> float:
    labels = {"route": fast.ROUTE, "method": "POST", "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0


def _stored(mongo_db, courier_id):
    return repository.courier_get(mongo_db, courier_id=courier_id).get("location")


def test_a_position_is_seen_at_once_and_mongodb_catches_up(api_client, kai, mongo_db):
    courier_id, headers = kai

    assert _at(api_client, headers, NEAR).status_code == 204
    shown = api_client.get("/couriers/me", headers=headers).json()["location"]
    before = _stored(mongo_db, courier_id)
    written = tracking.persist_positions()
    after = _stored(mongo_db, courier_id)

    assert (shown["lat"], shown["lng"]) == NEAR  # from Redis, before MongoDB has it
    assert before is None
    assert written == 1
    assert (after["lat"], after["lng"]) == NEAR
    assert tracking.persist_positions() == 0  # nothing new to write


def test_a_redis_loss_loses_at_most_the_positions_not_yet_written(api_client, kai, mongo_db, redis_client, settings):
    courier_id, headers = kai
    _at(api_client, headers, NEAR)
    tracking.persist_positions()
    _at(api_client, headers, LATER)  # reported, not written behind yet...
    lost = list(redis_client.scan_iter(match=settings.REDIS_KEY_PREFIX + "couriers:*"))
    redis_client.delete(*lost)  # ...when Redis loses its data

    tracking.persist_positions()
    shown = api_client.get("/couriers/me", headers=headers).json()["location"]

    assert (shown["lat"], shown["lng"]) == NEAR  # MongoDB's copy: one window behind, never worse
    assert (_stored(mongo_db, courier_id)["lat"], _stored(mongo_db, courier_id)["lng"]) == NEAR


def test_writing_behind_never_moves_a_position_back(api_client, kai, mongo_db, redis_client):
    courier_id, headers = kai
    _at(api_client, headers, NEAR)
    newer = {"lat": 1.0, "lng": 1.0, "at": datetime.now(UTC) + timedelta(minutes=1)}
    repository.courier_set_location(mongo_db, courier_id=courier_id, location=newer)  # written by a later report

    tracking.persist_positions()

    assert _stored(mongo_db, courier_id)["lat"] == 1.0


def test_a_writer_that_crashes_mid_batch_leaves_the_work_for_the_next(api_client, kai, mongo_db):
    from common import faults

    courier_id, headers = kai
    _at(api_client, headers, NEAR)

    with faults.armed("positions.before_write", faults.CRASH), pytest.raises(faults.InjectedCrash):
        tracking.persist_positions()

    assert tracking.persist_positions() == 1
    assert _stored(mongo_db, courier_id)["lat"] == NEAR[0]


def test_without_redis_a_report_goes_to_mongodb_directly(api_client, kai, mongo_db, redis_down):
    courier_id, headers = kai

    assert _at(api_client, headers, NEAR).status_code == 204
    assert (_stored(mongo_db, courier_id)["lat"], _stored(mongo_db, courier_id)["lng"]) == NEAR


def test_a_report_is_answered_before_django_and_seen_at_once(api_client, kai, django_requests):
    _, headers = kai
    counted = _served("204")

    status, answered, _ = _reported({**headers, "X-Request-ID": "report-1"}, {"lat": NEAR[0], "lng": NEAR[1]})

    assert status == 204
    assert django_requests == []  # no Django request: no handler, middleware chain or view
    assert answered[b"x-request-id"] == b"report-1"
    assert answered[b"x-content-type-options"] == b"nosniff"
    assert _served("204") == counted + 1  # counted under the route's name all the same
    shown = api_client.get("/couriers/me", headers=headers).json()["location"]
    assert (shown["lat"], shown["lng"]) == NEAR


def test_without_redis_the_report_goes_to_django_and_to_mongodb(kai, mongo_db, redis_down, django_requests):
    courier_id, headers = kai

    status, _, _ = _reported(headers, {"lat": NEAR[0], "lng": NEAR[1]})

    assert status == 204
    assert len(django_requests) == 1
    assert (_stored(mongo_db, courier_id)["lat"], _stored(mongo_db, courier_id)["lng"]) == NEAR


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"lat": True, "lng": 4.0}, 400, "lat"),
        ({"lat": "52.1", "lng": 4.0}, 400, "lat"),
        ({"lat": 91, "lng": 4.0}, 400, "lat"),
        ({"lat": 52.0}, 400, "lng"),
        ({"lat": {"$gt": 0}, "lng": 4.0}, 400, "lat"),
    ],
)
def test_what_the_lean_route_does_not_take_gets_the_same_errors_as_ever(kai, body, status, field, django_requests):
    answered, _, content = _reported(kai[1], body)

    assert answered == status
    assert field in json.loads(content)["error"]["details"]
    assert len(django_requests) == 1


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [("customer", {"lat": 1, "lng": 1}, 403), (None, {"lat": 1, "lng": 1}, 401), ("courier", b'{"lat": 1,', 400)],
)
def test_other_users_and_broken_bodies_are_answered_by_django(kai, issue_token, who, body, status):
    headers = {"courier": kai[1], "customer": {"Authorization": f"Bearer {issue_token('customer')}"}, None: {}}[who]

    answered, _, content = _reported(headers, body)

    assert answered == status
    assert json.loads(content)["error"]["code"]


@pytest.mark.parametrize("accept", ["text/html", "text/html, */*"])
def test_a_browser_asking_for_the_page_gets_django_s_answer(kai, accept, django_requests):
    status, headers, _ = _reported({**kai[1], "Accept": accept}, {"lat": NEAR[0], "lng": NEAR[1]})

    assert (status, headers[b"content-type"].split(b";")[0]) == (200, b"text/html")  # the browsable API's page
    assert len(django_requests) == 1


def test_only_couriers_report_positions_and_a_form_still_works(api_client, kai, issue_token):
    customer = {"Authorization": f"Bearer {issue_token('customer')}"}

    assert (
        api_client.post("/couriers/me/location", {"lat": 1, "lng": 1}, format="json", headers=customer).status_code
        == 403
    )
    assert api_client.post("/couriers/me/location", {"lat": 1, "lng": 1}, format="json").status_code == 401
    form = api_client.post("/couriers/me/location", {"lat": "52.3", "lng": "4.8"}, headers=kai[1])  # multipart
    assert form.status_code == 204
    assert api_client.get("/couriers/me", headers=kai[1]).json()["location"]["lat"] == 52.3


def test_a_courier_on_a_delivery_tells_its_followers_from_the_lean_route(kai, redis_client, django_requests):
    courier_id, headers = kai
    task = {
        "delivery_id": "d" * 24,
        "order_id": "o" * 24,
        "status": "assigned",
        "pickup": {"lat": 52.37, "lng": 4.89},
        "dropoff": None,
    }
    redis_client.hset(tracking.tasks_key(), courier_id, json.dumps(task))

    assert _reported(headers, {"lat": NEAR[0], "lng": NEAR[1]})[0] == 204
    assert django_requests == []

    published = json.loads(redis_client.get(order_location.key("o" * 24)))
    assert (published["courier_id"], published["lat"]) == (courier_id, NEAR[0])
    assert published["eta_s"] > 0
