"""A courier's position report answered before Django's handler (FAST_ROUTES, common/fast_paths/):
whatever a client sends, the view's own answer without a Django request, Redis up or down; a rule
tightened in the view's serializer holds on both paths. Against the real Redis and store."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from redis.asyncio.connection import AbstractConnection
from rest_framework import serializers

from common.asgi import PooledThreadsASGIHandler
from common.contracts import order_location
from common.fast_paths import FastRoutes
from common.testing.fast_paths import JSON_VALUES, Call, answer_now, calls, header
from deliveries import repository, tracking
from deliveries.serializers import LocationInput

PATH = "/couriers/me/location"
ROUTE = "^couriers/me/location$"
NEAR = (52.371, 4.891)


def _fast():
    return FastRoutes(PooledThreadsASGIHandler())


def _django():
    return PooledThreadsASGIHandler()


def _report(headers: dict, position=NEAR) -> Call:
    body = json.dumps({"lat": position[0], "lng": position[1]}).encode()
    raw = tuple((name.lower().encode(), value.encode()) for name, value in headers.items())
    return Call("POST", PATH, ((b"content-type", b"application/json"), *raw), body)


def _served(status: str) -> float:
    return REGISTRY.get_sample_value("http_requests_total", {"route": ROUTE, "method": "POST", "status": status}) or 0


def test_a_report_is_recorded_by_the_view_without_a_django_request(api_client, kai, django_requests):
    _, headers = kai
    counted = _served("204")

    answer = answer_now(_fast(), _report({**headers, "X-Request-ID": "report-1"}))

    assert answer.status == 204
    assert django_requests == []
    assert answer.request_id == b"report-1"
    assert header(answer, b"x-content-type-options") == b"nosniff"
    assert (header(answer, b"vary"), header(answer, b"allow")) == (b"Accept", b"POST, OPTIONS")
    assert _served("204") == counted + 1  # one series, whichever path answered
    shown = api_client.get("/couriers/me", headers=headers).json()["location"]
    assert (shown["lat"], shown["lng"]) == NEAR


def test_the_console_s_claim_goes_in_the_report_s_own_round_trip(kai, monkeypatch):
    """The console's claim of the interval and the courier's card are sent with the tracking script,
    not in a round trip of their own (deliveries/console.py's `position_claim`). Seen failing with the
    console's commands in a pipeline of their own: the claim was sent alone."""
    _, headers = kai
    sent = []
    send = AbstractConnection.send_packed_command

    async def recorded(self, command, check_health=True):
        sent.append(command if isinstance(command, bytes | str) else b"".join(command))
        return await send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", recorded)

    assert answer_now(_fast(), _report(headers)).status == 204

    claims = [payload for payload in sent if b"stream-throttle" in payload]
    assert len(claims) == 1
    assert b"EVALSHA" in claims[0]  # with the tracking script
    assert b"HGET" in claims[0]  # and the card


# Besides any JSON: what FloatField would convert (text, booleans) and what is out of range.
ODD_VALUES = st.one_of(JSON_VALUES, st.sampled_from(["52.1", True, 91, -180.5, 180, "nan", {"$gt": 0}, None]))
POSITIONS = st.fixed_dictionaries(
    {"lat": st.floats(-90, 90, allow_nan=False), "lng": st.floats(-180, 180, allow_nan=False)}
)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_whatever_is_sent_both_paths_answer_alike(data, kai, issue_token):
    courier = kai[1]["Authorization"].encode()
    others = [f"Bearer {issue_token('customer')}".encode(), b"Bearer forged.token.here", b"Basic abc"]
    call = data.draw(calls("POST", PATH, token=courier, other_tokens=others, valid_bodies=POSITIONS, values=ODD_VALUES))

    fast, django = answer_now(_fast(), call), answer_now(_django(), call)

    event(f"answered {fast.status}")
    assert fast == django


def test_without_redis_the_view_writes_the_report_to_mongodb(kai, mongo_db, redis_down, django_requests):
    courier_id, headers = kai

    answer = answer_now(_fast(), _report(headers))

    assert answer.status == 204
    assert django_requests == []
    stored = repository.courier_get(mongo_db, courier_id=courier_id)["location"]
    assert (stored["lat"], stored["lng"]) == NEAR


def test_a_rule_tightened_in_the_view_s_serializer_holds_on_both_paths(kai, monkeypatch, django_requests):
    monkeypatch.setitem(LocationInput._declared_fields, "lat", serializers.FloatField(min_value=50, max_value=54))

    fast = answer_now(_fast(), _report(kai[1], (48.1, 4.9)))
    django = answer_now(_django(), _report(kai[1], (48.1, 4.9)))

    assert fast.status == 400
    assert fast.json()["error"]["details"] == {"lat": ["Ensure this value is greater than or equal to 50."]}
    assert fast == django
    assert len(django_requests) == 2  # what the serializer refuses is the view's to answer, on both paths


def test_a_courier_on_a_delivery_tells_its_followers(kai, redis_client, django_requests):
    courier_id, headers = kai
    task = {
        "delivery_id": "d" * 24,
        "order_id": "o" * 24,
        "status": "assigned",
        "pickup": {"lat": 52.37, "lng": 4.89},
        "dropoff": None,
    }
    redis_client.hset(tracking.tasks_key(), courier_id, json.dumps(task))

    assert answer_now(_fast(), _report(headers)).status == 204
    assert django_requests == []

    published = json.loads(redis_client.get(order_location.key("o" * 24)))
    assert (published["courier_id"], published["lat"]) == (courier_id, NEAR[0])
    assert published["eta_s"] > 0
