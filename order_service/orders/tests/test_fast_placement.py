"""Placement answered before Django's handler (FAST_ROUTES, common/fast_paths/): whatever a client
sends, the view's own answer (status, headers and body) without a Django request; a rule added to
the view's serializer holds on both paths; once the view ran, the answer is never left to Django,
which would place the order again. Against the real store, Redis and the live platform's services."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from rest_framework import serializers

from common.asgi import PooledThreadsASGIHandler
from common.fast_paths import FastRoutes
from common.testing.fast_paths import JSON_VALUES, Call, answer_now, calls, header
from orders import services
from orders.serializers import CustomerPlaceOrderInput, OrderLineInput
from orders.tests.helpers import ADDRESS_ID, CUSTOMER, publish_address

PATH = "/customers/me/orders"
ROUTE = "^customers/me/orders$"  # the metrics' series, whichever path answered
PROXIED = ((b"x-forwarded-host", b"food.example"), (b"x-forwarded-proto", b"https"))  # as the gateway calls
JSON = ((b"content-type", b"application/json"),)


def _fast():
    return FastRoutes(PooledThreadsASGIHandler())


def _django():
    return PooledThreadsASGIHandler()


@pytest.fixture
def customer(issue_token) -> bytes:
    publish_address()
    return f"Bearer {issue_token('customer', sub=CUSTOMER)}".encode()


def _order(menu, quantity: int = 2) -> bytes:
    items = [{"menu_item_id": menu["items"][0]["id"], "quantity": quantity}]
    return json.dumps({"restaurant_id": menu["restaurant"]["id"], "items": items, "address_id": ADDRESS_ID}).encode()


def _placement(token: bytes, body: bytes, *, key: str | None = None, headers=PROXIED) -> Call:
    keyed = ((b"idempotency-key", (key or uuid.uuid4().hex).encode()),)
    return Call("POST", PATH, (*JSON, (b"authorization", token), *keyed, *headers), body)


_IDS_AND_TIMES = re.compile(rb"[0-9a-f]{24}|\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)?")


def _comparable(answer):
    """An answer without what differs between two placements of one order: the order's id and
    times (and the tracking link, which names the id); in the browsable page, every id and time."""
    if answer.status != 201:
        return answer
    if header(answer, b"content-type") != b"application/json":
        return answer.status, answer.headers, _IDS_AND_TIMES.sub(b"-", answer.body)
    varying = {"id", "created_at", "updated_at", "estimated_ready_at", "estimated_delivery_at", "track_url"}
    order = {key: value for key, value in answer.json().items() if key not in varying}
    order["history"] = [{k: v for k, v in entry.items() if k != "at"} for entry in order["history"]]
    return answer.status, answer.headers, order


def _served(status: str) -> float:
    return REGISTRY.get_sample_value("http_requests_total", {"route": ROUTE, "method": "POST", "status": status}) or 0


def test_an_order_is_placed_by_the_view_without_a_django_request(customer, menu, mongo_db, django_requests):
    counted = _served("201")

    answer = answer_now(_fast(), _placement(customer, _order(menu)).with_headers((b"x-request-id", b"place-1")))

    assert django_requests == []  # no handler, middleware chain or thread of Django's
    assert answer.status == 201
    assert answer.request_id == b"place-1"
    order = answer.json()
    assert order["track_url"] == f"https://food.example/orders/{order['id']}/track"
    assert (header(answer, b"vary"), header(answer, b"allow")) == (b"Accept", b"GET, POST, HEAD, OPTIONS")
    assert mongo_db["orders"].count_documents({"customer_id": CUSTOMER}) == 1
    assert _served("201") == counted + 1


# Values a client may put anywhere in an order: what the serializer converts, refuses or takes.
ODD_VALUES = st.one_of(
    JSON_VALUES,
    st.sampled_from(
        ["2", 2.0, True, 0, 51, 50, "", " a ", "a" * 64, "a" * 65, "f" * 24, "a\x00", {"$ne": ""}, ["x"], None]
    ),
)


def _orders(menu):
    items = st.fixed_dictionaries(
        {"menu_item_id": st.sampled_from([item["id"] for item in menu["items"]]), "quantity": st.integers(1, 3)}
    )
    return st.fixed_dictionaries(
        {
            "restaurant_id": st.just(menu["restaurant"]["id"]),
            "items": st.lists(items, min_size=1, max_size=3),
            "address_id": st.just(ADDRESS_ID),
        }
    )


@hypothesis_settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_whatever_is_sent_both_paths_answer_alike(data, customer, issue_token, menu):
    others = [f"Bearer {issue_token('courier')}".encode(), b"Bearer forged.token.here", b"Basic abc"]
    call = data.draw(
        calls("POST", PATH, token=customer, other_tokens=others, valid_bodies=_orders(menu), values=ODD_VALUES)
    )
    key = data.draw(st.sampled_from(["fresh"] * 4 + [None, "two words", "k" * 201]), "idempotency key")

    def keyed(fresh_key: str) -> Call:
        return (
            call
            if key is None
            else call.with_headers((b"idempotency-key", (fresh_key if key == "fresh" else key).encode()))
        )

    fast = answer_now(_fast(), keyed(uuid.uuid4().hex))
    django = answer_now(_django(), keyed(uuid.uuid4().hex))

    event(f"answered {fast.status}")
    assert _comparable(fast) == _comparable(django)


def test_a_rule_added_to_the_view_s_serializer_holds_on_both_paths(customer, menu, monkeypatch, django_requests):
    def one_dish_at_most_per_order(self, data):
        if sum(line["quantity"] for line in data["items"]) > 1:
            raise serializers.ValidationError("One dish per order this evening.")
        return data

    monkeypatch.setattr(CustomerPlaceOrderInput, "validate", one_dish_at_most_per_order, raising=False)

    fast = answer_now(_fast(), _placement(customer, _order(menu, quantity=2)))
    django = answer_now(_django(), _placement(customer, _order(menu, quantity=2)))

    assert fast.status == 400
    assert fast.json()["error"]["details"] == {"non_field_errors": ["One dish per order this evening."]}
    assert fast == django
    assert len(django_requests) == 2  # what the serializer refuses is the view's to answer, on both paths


def test_a_field_rule_tightened_in_the_serializer_holds_on_both_paths(customer, menu, monkeypatch, django_requests):
    monkeypatch.setitem(OrderLineInput._declared_fields, "quantity", serializers.IntegerField(min_value=1, max_value=1))

    fast = answer_now(_fast(), _placement(customer, _order(menu, quantity=2)))
    django = answer_now(_django(), _placement(customer, _order(menu, quantity=2)))

    assert fast.status == 400
    assert "less than or equal to 1" in json.dumps(fast.json()["error"]["details"]["items"])
    assert fast == django


def test_a_retry_gets_the_first_order_once_whichever_path_answers(customer, menu, mongo_db, django_requests):
    key = uuid.uuid4().hex

    first = answer_now(_fast(), _placement(customer, _order(menu), key=key))
    again = answer_now(_fast(), _placement(customer, _order(menu), key=key))
    by_django = answer_now(_django(), _placement(customer, _order(menu), key=key))

    assert first.status == again.status == by_django.status == 201
    assert len({answer.json()["id"] for answer in (first, again, by_django)}) == 1
    assert header(first, b"idempotent-replayed") is None
    assert header(again, b"idempotent-replayed") == header(by_django, b"idempotent-replayed") == b"true"
    assert mongo_db["orders"].count_documents({"customer_id": CUSTOMER}) == 1
    assert len(django_requests) == 1


def test_a_failure_once_the_order_may_be_stored_is_answered_there_never_placed_twice(
    customer, menu, mongo_db, monkeypatch, django_requests, caplog
):
    placing = services.customer_order_place

    def stored_then_broken(**kwargs):
        placing(**kwargs)
        raise RuntimeError("lost the answer")

    monkeypatch.setattr(services, "customer_order_place", stored_then_broken)
    no_key = Call(
        "POST", PATH, (*JSON, (b"authorization", customer), *PROXIED), _order(menu)
    )  # Django would store another

    answer = answer_now(_fast(), no_key)

    assert answer.status == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert django_requests == []
    assert mongo_db["orders"].count_documents({"customer_id": CUSTOMER}) == 1
    assert "unhandled error" in caplog.text
    assert f"Internal Server Error: {PATH}" in caplog.text  # Django's own line for a 500 too
