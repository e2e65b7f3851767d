"""The delivery promise on orders: the quote agrees with placement, fees, estimates at each moment,
the kitchen's delay, estimate events on the customer's stream, and the refresher. Against the real
store, Redis and the live restaurant service."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from django.test import AsyncClient

from common.testing.sse import SseReader
from orders import services
from orders.tests.helpers import ADDRESS, place, placed, transition


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _minutes(start: str, end: str) -> float:
    return round((_at(end) - _at(start)).total_seconds() / 60, 1)


@pytest.fixture
def kitchen(actors):
    """A live restaurant 3 km from the delivery address, 20 minutes to prepare, a 2.99 fee."""
    owner_id, owner_headers = actors.user("restaurants", "Chef")
    restaurant_address = {"line1": "1 Mill Rd", "city": "Amsterdam", "postcode": "1011", "lat": 52.343, "lng": 4.89}
    world = actors.restaurant_with_menu(
        owner_headers, address=restaurant_address, prep_time_min=20, delivery_fee_cents=299
    )
    return {"owner_id": owner_id, **world}


def quote(api_client, service_headers, menu, **overrides):
    body = {
        "customer_id": "c" * 24,
        "restaurant_id": menu["restaurant"]["id"],
        "items": [
            {"menu_item_id": menu["items"][0]["id"], "quantity": 2},
            {"menu_item_id": menu["items"][1]["id"], "quantity": 1},
        ],
        "delivery_address": ADDRESS,
        **overrides,
    }
    return api_client.post("/internal/orders/quote", body, format="json", headers=service_headers)


def test_the_quote_and_the_placement_agree_to_the_cent(api_client, service_headers, kitchen, mongo_db):
    quoted = quote(api_client, service_headers, kitchen)
    assert quoted.status_code == 200, quoted.content
    assert mongo_db["orders"].count_documents({}) == 0  # a quote stores nothing

    order = placed(api_client, service_headers, kitchen, quantities=(2, 1))

    q = quoted.json()
    assert q["items"] == order["items"]
    assert (q["subtotal_cents"], q["delivery_fee_cents"], q["total_cents"]) == (3300, 299, 3599)
    assert (order["subtotal_cents"], order["delivery_fee_cents"], order["total_cents"]) == (3300, 299, 3599)
    assert q["distance_km"] == pytest.approx(3.0, abs=0.05)
    assert abs(_minutes(q["estimated_delivery_at"], order["estimated_delivery_at"])) < 0.2


def test_an_order_without_a_fee_costs_what_it_always_did(api_client, service_headers, menu):
    order = placed(api_client, service_headers, menu, quantities=(1,))

    assert (order["subtotal_cents"], order["delivery_fee_cents"], order["total_cents"]) == (1250, 0, 1250)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"items": [{"menu_item_id": "f" * 24, "quantity": 1}]}, 400, "unknown_items"),
        ({"delivery_address": {**ADDRESS, "lat": 48.85, "lng": 2.35}}, 409, "outside_delivery_area"),
        ({"restaurant_id": "e" * 24}, 400, "unknown_restaurant"),
        ({"items": []}, 400, "invalid"),
    ],
)
def test_a_quote_refuses_what_placement_refuses(api_client, service_headers, kitchen, change, status, code):
    response = quote(api_client, service_headers, kitchen, **change)
    placing = (
        place(api_client, service_headers, kitchen, items=change.get("items"), key=None) if "items" in change else None
    )

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    if placing is not None:
        assert placing.status_code == status


def test_placement_estimates_preparation_then_the_ride(api_client, service_headers, kitchen):
    order = placed(api_client, service_headers, kitchen)

    assert _minutes(order["created_at"], order["estimated_ready_at"]) == pytest.approx(20, abs=0.1)
    # 3 km at the default 15 km/h: 12 minutes after the food is ready
    assert _minutes(order["estimated_ready_at"], order["estimated_delivery_at"]) == pytest.approx(12, abs=0.2)
    assert order["delivered_at"] is None


def test_the_kitchen_says_when_it_will_be_ready(api_client, service_headers, kitchen):
    order = placed(api_client, service_headers, kitchen)

    accepted = transition(
        api_client, service_headers, order["id"], "accepted", "restaurant", kitchen["owner_id"], ready_in_min=35
    ).json()

    assert _minutes(accepted["history"][-1]["at"], accepted["estimated_ready_at"]) == pytest.approx(35, abs=0.1)
    assert _minutes(accepted["estimated_ready_at"], accepted["estimated_delivery_at"]) == pytest.approx(12, abs=0.2)


def test_a_late_kitchen_moves_the_arrival_and_the_customer_is_told(
    api_client, service_headers, kitchen, issue_token, settings
):
    settings.SSE_HEARTBEAT_S = 0.3
    order = placed(api_client, service_headers, kitchen)
    accepted = transition(
        api_client, service_headers, order["id"], "accepted", "restaurant", kitchen["owner_id"]
    ).json()
    customer = {"Authorization": f"Bearer {issue_token('customer', sub='c' * 24)}"}

    async def scenario():
        response = await AsyncClient().get(f"/orders/{order['id']}/events", headers=customer)
        stream = SseReader.of_response(response)
        opening = await stream.next_events(2)
        delay = api_client.post(
            f"/internal/orders/{order['id']}/delay",
            {"minutes": 10, "owner_id": kitchen["owner_id"], "restaurant_id": kitchen["restaurant"]["id"]},
            format="json",
            headers=service_headers,
        )
        [moved] = await stream.next_events(1)
        await stream.close()
        return opening, delay, moved

    opening, delay, moved = asyncio.run(asyncio.wait_for(scenario(), 20))

    assert [e["event"] for e in opening] == ["status", "estimate"]
    assert delay.status_code == 200, delay.content
    assert _minutes(accepted["estimated_delivery_at"], delay.json()["estimated_delivery_at"]) == pytest.approx(
        10, abs=0.1
    )
    assert moved["event"] == "estimate"
    assert moved["data"]["order_id"] == order["id"]
    assert _minutes(
        opening[1]["data"]["estimated_delivery_at"], moved["data"]["estimated_delivery_at"]
    ) == pytest.approx(10, abs=0.1)


@pytest.mark.parametrize("status", ["placed", "ready"])
def test_only_an_accepted_or_preparing_order_can_be_delayed(api_client, service_headers, kitchen, status):
    order = placed(api_client, service_headers, kitchen)
    moves = {"placed": [], "ready": ["accepted", "preparing", "ready"]}[status]
    for step in moves:
        transition(api_client, service_headers, order["id"], step, "restaurant", kitchen["owner_id"])

    response = api_client.post(
        f"/internal/orders/{order['id']}/delay",
        {"minutes": 5, "owner_id": kitchen["owner_id"], "restaurant_id": kitchen["restaurant"]["id"]},
        format="json",
        headers=service_headers,
    )

    assert (response.status_code, response.json()["error"]["code"]) == (409, "illegal_transition")
    assert response.json()["error"]["details"]["current"] == status


def test_another_restaurants_owner_cannot_delay_an_order(api_client, service_headers, kitchen):
    order = placed(api_client, service_headers, kitchen)
    transition(api_client, service_headers, order["id"], "accepted", "restaurant", kitchen["owner_id"])

    response = api_client.post(
        f"/internal/orders/{order['id']}/delay",
        {"minutes": 5, "owner_id": "e" * 24, "restaurant_id": kitchen["restaurant"]["id"]},
        format="json",
        headers=service_headers,
    )

    assert response.status_code == 404


def test_the_courier_moves_the_arrival_and_only_the_assigned_one(api_client, service_headers, kitchen):
    order = placed(api_client, service_headers, kitchen)
    transition(api_client, service_headers, order["id"], "accepted", "restaurant", kitchen["owner_id"])
    far_behind = (datetime.now(UTC) + timedelta(minutes=45)).isoformat()
    projected = api_client.put(
        f"/internal/orders/{order['id']}/courier",
        {"courier_id": "k" * 24, "delivery_id": "d" * 24, "courier_speed_kmh": 30, "courier_eta_at": far_behind},
        format="json",
        headers=service_headers,
    ).json()

    # The courier reaches the restaurant in 45 minutes, then rides 3 km at 30 km/h: 6 minutes.
    assert _minutes(far_behind, projected["estimated_delivery_at"]) == pytest.approx(6, abs=0.2)
    sooner = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    for courier_id in ("j" * 24, "k" * 24):  # another courier's report changes nothing
        services.order_courier_etas(
            etas=[
                {"order_id": order["id"], "courier_id": courier_id, "leg": "pickup", "at": _at(sooner), "speed_kmh": 30}
            ]
        )
        now = api_client.get(f"/orders/{order['id']}", headers=_customer_headers()).json()
        expected = far_behind if courier_id == "j" * 24 else sooner
        assert _minutes(expected, now["estimated_delivery_at"]) == pytest.approx(6, abs=0.2)


def _route_eta(order_id: str, courier_id: str, at: datetime) -> None:
    services.order_courier_etas(
        etas=[{"order_id": order_id, "courier_id": courier_id, "leg": "route", "at": at, "speed_kmh": 30}]
    )


def _project(api_client, service_headers, order_id: str, courier_id: str):
    return api_client.put(
        f"/internal/orders/{order_id}/courier",
        {"courier_id": courier_id, "delivery_id": "d" * 24, "courier_speed_kmh": 30},
        format="json",
        headers=service_headers,
    ).json()


def test_a_route_time_sent_before_the_courier_is_projected_counts_once_it_is(api_client, service_headers, kitchen):
    # The delivery service tells the route's time at each door right after committing; its
    # projection of the courier onto the order may land after that message (they travel apart).
    order = placed(api_client, service_headers, kitchen)
    for step in ("accepted", "preparing", "ready"):
        transition(api_client, service_headers, order["id"], step, "restaurant", kitchen["owner_id"])
    second_stop = datetime.now(UTC) + timedelta(minutes=40)

    _route_eta(order["id"], "k" * 24, second_stop)
    projected = _project(api_client, service_headers, order["id"], "k" * 24)

    assert _minutes(second_stop.isoformat(), projected["estimated_delivery_at"]) == pytest.approx(0, abs=0.1)


def test_a_route_time_is_kept_even_when_the_arrival_does_not_move_yet(api_client, service_headers, kitchen):
    # The food needs 20 minutes, so a route reaching the door in 25 is no news now; once the food
    # is ready (the ride alone: 6 minutes) the route's 25 minutes are what the customer must see.
    order = placed(api_client, service_headers, kitchen)
    _project(api_client, service_headers, order["id"], "k" * 24)
    at_the_door = datetime.now(UTC) + timedelta(minutes=25)

    _route_eta(order["id"], "k" * 24, at_the_door)
    for step in ("accepted", "preparing", "ready"):
        ready = transition(api_client, service_headers, order["id"], step, "restaurant", kitchen["owner_id"]).json()

    assert _minutes(at_the_door.isoformat(), ready["estimated_delivery_at"]) == pytest.approx(0, abs=0.1)


def test_another_couriers_route_time_is_not_kept(api_client, service_headers, kitchen):
    order = placed(api_client, service_headers, kitchen)
    for step in ("accepted", "preparing", "ready"):
        transition(api_client, service_headers, order["id"], step, "restaurant", kitchen["owner_id"])
    _project(api_client, service_headers, order["id"], "k" * 24)

    _route_eta(order["id"], "j" * 24, datetime.now(UTC) + timedelta(minutes=40))
    now = api_client.get(f"/orders/{order['id']}", headers=_customer_headers()).json()

    assert _minutes(datetime.now(UTC).isoformat(), now["estimated_delivery_at"]) == pytest.approx(6, abs=0.3)


def _customer_headers():
    from common.jwt import AccessToken

    token = AccessToken()
    token["sub"], token["user_type"], token["role"] = "c" * 24, "customer", "user"
    return {"Authorization": f"Bearer {token}"}


def test_delivery_is_recorded_and_ends_the_estimates(api_client, service_headers, kitchen):
    order = placed(api_client, service_headers, kitchen)
    for step in ("accepted", "preparing", "ready"):
        transition(api_client, service_headers, order["id"], step, "restaurant", kitchen["owner_id"])
    api_client.put(
        f"/internal/orders/{order['id']}/courier",
        {"courier_id": "k" * 24, "delivery_id": "d" * 24},
        format="json",
        headers=service_headers,
    )
    transition(api_client, service_headers, order["id"], "picked_up", "courier", "k" * 24)
    delivered = transition(api_client, service_headers, order["id"], "delivered", "courier", "k" * 24).json()

    assert delivered["delivered_at"] == delivered["history"][-1]["at"]


def test_estimates_about_to_pass_are_moved_on_never_left_in_the_past(api_client, service_headers, kitchen, mongo_db):
    order = placed(api_client, service_headers, kitchen)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    # An hour has passed and the kitchen never said a word (set up by writing the clock back).
    mongo_db["orders"].update_one(
        {"customer_id": "c" * 24},
        {"$set": {"created_at": long_ago, "estimated_ready_at": long_ago, "estimated_delivery_at": long_ago}},
    )

    moved = services.order_refresh_due_estimates()

    now = datetime.now(UTC)
    refreshed = api_client.get(f"/orders/{order['id']}", headers=_customer_headers()).json()
    assert moved == 1
    assert _at(refreshed["estimated_ready_at"]) > now
    assert _at(refreshed["estimated_delivery_at"]) > _at(refreshed["estimated_ready_at"])
    assert services.order_refresh_due_estimates() == 0  # nothing due any more
