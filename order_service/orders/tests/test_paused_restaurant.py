"""A restaurant that paused new orders (`POST /restaurants/{rid}/pause`) gets none: quotes and
placements answer 409 `restaurant_not_accepting` with `details.paused_until`, whether the order is
priced by asking the restaurant service, from the terms it published (common/contracts/restaurant_terms.py) or on
the placement fast path (common/fast_paths); the pause ends by itself (an injected clock, no sleep)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from common.asgi import PooledThreadsASGIHandler
from common.fast_paths import FastRoutes
from common.testing.fast_paths import Call, answer_now
from orders import services
from orders.tests.helpers import CUSTOMER, customer_order, place, publish_address, publish_terms

IN_AN_HOUR = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def paused_menu(actors):
    """A live restaurant with two dishes whose owner paused new orders for 30 minutes."""
    owner_id, owner_headers = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(owner_headers)
    paused = actors.ok(
        "POST", f"/restaurants/{world['restaurant']['id']}/pause", headers=owner_headers, json={"minutes": 30}
    )
    return {"owner_id": owner_id, "paused_until": paused["paused_until"], **world}


def _refused_for_the_pause(response, paused_until: str) -> None:
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "restaurant_not_accepting"
    assert datetime.fromisoformat(error["details"]["paused_until"]) == datetime.fromisoformat(paused_until)
    assert error["details"]["accepting_orders"] is False


def test_asked_of_the_restaurant_service_a_pause_refuses_quotes_and_placements(
    api_client, service_headers, paused_menu, mongo_db
):
    placed = place(api_client, service_headers, paused_menu)
    body = {
        "customer_id": CUSTOMER,
        "restaurant_id": paused_menu["restaurant"]["id"],
        "items": [{"menu_item_id": paused_menu["items"][0]["id"], "quantity": 1}],
        "delivery_address": {"line1": "2 Dam Sq", "city": "Amsterdam", "postcode": "1012", "lat": 52.37, "lng": 4.89},
    }
    quoted = api_client.post("/internal/orders/quote", body, format="json", headers=service_headers)

    _refused_for_the_pause(placed, paused_menu["paused_until"])
    _refused_for_the_pause(quoted, paused_menu["paused_until"])
    assert mongo_db["orders"].count_documents({}) == 0


def test_published_terms_refuse_while_the_pause_lasts_and_take_orders_once_it_ends(
    api_client, service_headers, menu, restaurant_service_down, mongo_db, monkeypatch
):
    publish_terms(menu, paused_until=IN_AN_HOUR.isoformat())

    _refused_for_the_pause(place(api_client, service_headers, menu, key="k-1"), IN_AN_HOUR.isoformat())
    monkeypatch.setattr(services, "_now", lambda: IN_AN_HOUR + timedelta(seconds=1))
    after = place(api_client, service_headers, menu, key="k-2")

    assert after.status_code == 201, after.content
    assert mongo_db["orders"].count_documents({}) == 1


def test_the_fast_path_refuses_a_paused_restaurant_as_the_view_does(
    issue_token, menu, restaurant_service_down, mongo_db, django_requests
):
    publish_address()
    publish_terms(menu, paused_until=IN_AN_HOUR.isoformat())
    headers = (
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {issue_token('customer', sub=CUSTOMER)}".encode()),
        (b"idempotency-key", uuid.uuid4().hex.encode()),
    )
    body = json.dumps(customer_order(menu, quantity=1)).encode()

    answer = answer_now(FastRoutes(PooledThreadsASGIHandler()), Call("POST", "/customers/me/orders", headers, body))

    assert django_requests == []  # answered on the fast path itself
    assert answer.status == 409
    assert answer.json()["error"]["details"]["paused_until"] == IN_AN_HOUR.isoformat()
    assert mongo_db["orders"].count_documents({}) == 0
