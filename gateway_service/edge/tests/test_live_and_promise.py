"""Through the gateway, on the live platform: the three live streams resumed with Last-Event-ID, and
the delivery promise's routes (the kitchen's delay) refusing whoever should be refused."""

import uuid

import pytest
import requests

from common.testing.sse import events_of_lines


def _events(response, count: int, kind: str | None = None) -> list[dict]:
    """The next `count` events (of this kind, if given) of an open stream (requests, stream=True)."""
    events = []
    for event in events_of_lines(response.iter_lines(decode_unicode=True)):
        if kind in (None, event["event"]):
            events.append(event)
            if len(events) == count:
                break
    return events


def _open(actors, path, headers, last_event_id=None):
    headers = {**headers, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
    response = requests.get(actors.gateway + path, headers=headers, stream=True, timeout=15)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    return response


@pytest.fixture
def world(actors):
    _owner_id, chef = actors.user("restaurants", "Chef")
    kitchen = actors.restaurant_with_menu(chef)
    _customer_id, cleo, address_id = actors.customer_with_address()
    return {"chef": chef, "cleo": cleo, "address_id": address_id, **kitchen}


def _move(actors, world, order, status, **extra):
    return actors.call(
        "POST",
        f"/restaurants/{world['restaurant']['id']}/orders/{order['id']}/status",
        headers=world["chef"],
        json={"status": status, **extra},
    )


def test_every_stream_resumes_through_the_gateway_with_nothing_missed_or_repeated(actors, world):
    board_path = f"/restaurants/{world['restaurant']['id']}/orders/events"
    first = actors.place_order(world["cleo"], world, world["address_id"])
    board = _open(actors, board_path, world["chef"])
    order_stream = _open(actors, f"/orders/{first['id']}/events", world["cleo"])
    [snapshot] = _events(board, 1)
    [status] = _events(order_stream, 1)
    board.close()
    order_stream.close()

    _move(actors, world, first, "accepted")
    second = actors.place_order(world["cleo"], world, world["address_id"])
    _move(actors, world, first, "preparing")

    board = _open(actors, board_path, world["chef"], last_event_id=snapshot["id"])
    order_stream = _open(actors, f"/orders/{first['id']}/events", world["cleo"], last_event_id=status["id"])
    board_missed = _events(board, 3)
    order_missed = _events(order_stream, 2, kind="status")
    board.close()
    order_stream.close()

    assert [(e["data"]["id"], e["data"]["status"]) for e in board_missed] == [
        (first["id"], "accepted"),
        (second["id"], "placed"),
        (first["id"], "preparing"),
    ]
    assert [e["data"]["status"] for e in order_missed] == ["accepted", "preparing"]


def test_the_courier_feed_through_the_gateway(actors, world):
    _courier_id, kai = actors.user("couriers", "Kai")
    actors.ok("PATCH", "/couriers/me", headers=kai, json={"available": False})
    feed = _open(actors, "/couriers/me/events", kai)
    [snapshot] = _events(feed, 1)
    feed.close()

    assert snapshot["event"] == "snapshot"
    assert set(snapshot["data"]) == {"delivery", "deliveries", "route"}


@pytest.mark.parametrize("minutes", [0, 121, "ten", None, {"$gt": 1}, 2.5])
def test_a_delay_must_be_1_to_120_minutes(actors, world, minutes):
    order = actors.place_order(world["cleo"], world, world["address_id"])
    _move(actors, world, order, "accepted")

    response = actors.call(
        "POST",
        f"/restaurants/{world['restaurant']['id']}/orders/{order['id']}/delay",
        headers=world["chef"],
        json={"minutes": minutes},
    )

    assert response.status_code == 400
    assert "minutes" in response.json()["error"]["details"]


def test_only_the_owner_delays_and_only_a_cooking_order(actors, world):
    order = actors.place_order(world["cleo"], world, world["address_id"])
    path = f"/restaurants/{world['restaurant']['id']}/orders/{order['id']}/delay"
    _rival_id, rival = actors.user("restaurants", "Rival")

    too_early = actors.call("POST", path, headers=world["chef"], json={"minutes": 5})
    _move(actors, world, order, "accepted", ready_in_min=20)
    by_rival = actors.call("POST", path, headers=rival, json={"minutes": 5})
    by_customer = actors.call("POST", path, headers=world["cleo"], json={"minutes": 5})
    anonymous = actors.call("POST", path, json={"minutes": 5})
    unknown = actors.call(
        "POST",
        f"/restaurants/{world['restaurant']['id']}/orders/{'f' * 24}/delay",
        headers=world["chef"],
        json={"minutes": 5},
    )
    delayed = actors.call("POST", path, headers=world["chef"], json={"minutes": 5})

    assert (too_early.status_code, too_early.json()["error"]["code"]) == (409, "illegal_transition")
    assert (by_rival.status_code, by_rival.json()["error"]["code"]) == (403, "not_owner")
    assert by_customer.status_code == 403
    assert anonymous.status_code == 401
    assert unknown.status_code == 404
    assert delayed.status_code == 200, delayed.text
    assert delayed.json()["estimated_ready_at"] > order["estimated_ready_at"]


def test_ready_in_min_goes_only_with_accepting(actors, world):
    order = actors.place_order(world["cleo"], world, world["address_id"])

    with_reject = _move(actors, world, order, "rejected", ready_in_min=10)
    out_of_range = _move(actors, world, order, "accepted", ready_in_min=500)

    assert with_reject.status_code == 400
    assert out_of_range.status_code == 400
    assert "ready_in_min" in out_of_range.json()["error"]["details"]


def test_who_delivers_to_me_how_much_and_by_when(actors, world):
    """The delivery promise's three calls (docs/architecture/delivery-promise.md): browse by address, quote, order."""
    nearby = actors.ok("GET", "/restaurants", headers=world["cleo"], params={"address_id": world["address_id"]})
    mine = next(r for r in nearby["results"] if r["id"] == world["restaurant"]["id"])
    body = {
        "restaurant_id": mine["id"],
        "address_id": world["address_id"],
        "items": [{"menu_item_id": world["items"][0]["id"], "quantity": 1}],
    }
    quote = actors.ok("POST", "/customers/me/orders/quote", headers=world["cleo"], json=body)
    order = actors.ok(
        "POST",
        "/customers/me/orders",
        headers={**world["cleo"], "Idempotency-Key": uuid.uuid4().hex},
        json=body,
        expect=201,
    )

    assert mine["distance_km"] == 0.0
    assert mine["estimated_delivery_min"] == 15  # the default preparation time, no ride
    assert quote["total_cents"] == order["total_cents"] == 1250
    assert order["estimated_delivery_at"] >= quote["estimated_delivery_at"]
