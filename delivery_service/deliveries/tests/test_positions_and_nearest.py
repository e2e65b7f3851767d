"""Couriers' positions and nearest-courier dispatch, against real Redis GEO and the real store, with
the live order service (its restaurants are in Amsterdam, at 52.37, 4.89)."""

from __future__ import annotations

import json
import time

import pytest

from common.contracts import order_location, order_stream
from common.mongo import get_database
from common.redis_client import get_redis
from common.streams import history
from deliveries import dispatch, nearby, planner, repository, tracking

RESTAURANT = (52.37, 4.89)
NEAR = (52.371, 4.891)  # ~0.1 km
MID = (52.39, 4.89)  # ~2.2 km
FAR = (52.50, 4.89)  # ~14.5 km, outside DISPATCH_RADIUS_KM (5)


@pytest.fixture
def couriers(api_client, actors):
    """Couriers of this test: `couriers(n)` -> their auth headers, each online."""

    def make(count: int) -> list[dict]:
        made = []
        for n in range(count):
            headers = actors.user("couriers", f"Kai{n}")[1]
            assert (
                api_client.patch("/couriers/me", {"available": True}, format="json", headers=headers).status_code == 200
            )
            made.append(headers)
        return made

    return make


def _at(api_client, headers, position):
    lat, lng = position
    response = api_client.post("/couriers/me/location", {"lat": lat, "lng": lng}, format="json", headers=headers)
    assert response.status_code == 204, response.content


def _active(api_client, headers):
    return api_client.get("/couriers/me", headers=headers).json()["active_order_id"]


def _one_order_each_and_a_pass(api_client, place_order, *couriers) -> tuple[list, list]:
    """Places one order per courier and runs one dispatch pass: (each courier's order, the orders
    oldest first); equal when the oldest went to the first courier, the next to the second..."""
    placed = [place_order()["id"] for _ in couriers]
    dispatch.dispatch()
    return [_active(api_client, headers) for headers in couriers], placed


def test_a_courier_reports_a_position_and_sees_it(api_client, courier, redis_client):
    _, headers = courier

    before = api_client.get("/couriers/me", headers=headers).json()["location"]
    _at(api_client, headers, NEAR)
    me = api_client.get("/couriers/me", headers=headers).json()

    assert before is None
    assert (me["location"]["lat"], me["location"]["lng"]) == NEAR
    assert me["location"]["at"]
    assert redis_client.geopos(tracking.geo_key(), me["id"])[0] is not None


@pytest.mark.parametrize(
    "body",
    [
        {"lat": 91, "lng": 0},
        {"lat": -90.5, "lng": 0},
        {"lat": 0, "lng": 180.01},
        {"lat": 0, "lng": -181},
        {"lat": "52.3", "lng": 4.8},
        {"lat": True, "lng": 4.8},
        {"lat": None, "lng": 4.8},
        {"lat": {"$ne": 1}, "lng": 4.8},
        {"lng": 4.8},
        {},
    ],
)
def test_bad_positions_are_400_with_the_field_named(api_client, courier, body):
    response = api_client.post("/couriers/me/location", body, format="json", headers=courier[1])

    assert response.status_code == 400
    assert response.json()["error"]["details"]


def test_only_couriers_report_positions(api_client, issue_token):
    customer = {"Authorization": f"Bearer {issue_token('customer')}"}
    body = {"lat": 1, "lng": 1}

    assert api_client.post("/couriers/me/location", body, format="json").status_code == 401
    assert api_client.post("/couriers/me/location", body, format="json", headers=customer).status_code == 403


def test_the_nearest_free_courier_gets_the_oldest_order(api_client, couriers, place_order):
    far, near, mid = couriers(3)  # the far one has been waiting longest
    for headers, position in ((far, FAR), (near, NEAR), (mid, MID)):
        _at(api_client, headers, position)
    first, second, third = place_order(), place_order(), place_order()

    dispatch.dispatch()

    assert _active(api_client, near) == first["id"]
    assert _active(api_client, mid) == second["id"]
    assert _active(api_client, far) is None  # 14 km away: the third order waits for someone in reach
    assert third["id"] not in {_active(api_client, h) for h in (near, mid, far)}


def test_a_waiting_order_widens_its_search_instead_of_starving(api_client, couriers, place_order, settings):
    (far,) = couriers(1)
    _at(api_client, far, FAR)
    order = place_order()
    dispatch.dispatch()
    assert _active(api_client, far) is None

    settings.DISPATCH_WIDEN_AFTER_S = 0.2  # 5 km, then 10, then 20 after 0.4 s
    time.sleep(0.5)
    dispatch.dispatch()

    assert _active(api_client, far) == order["id"]


def test_couriers_without_a_position_come_after_located_ones_in_reach(api_client, couriers, place_order):
    unknown, near = couriers(2)  # `unknown` has waited longer but never sent a position
    _at(api_client, near, NEAR)
    given, placed = _one_order_each_and_a_pass(api_client, place_order, near, unknown)

    assert given == placed  # the oldest order to `near`


def test_a_stale_position_counts_as_unknown(api_client, couriers, place_order, settings):
    stale, near = couriers(2)
    _at(api_client, stale, NEAR)
    settings.COURIER_LOCATION_MAX_AGE_S = 0.3
    time.sleep(0.4)
    _at(api_client, near, MID)  # fresh, and farther than the stale one's old position
    given, placed = _one_order_each_and_a_pass(api_client, place_order, near, stale)

    assert given == placed  # the oldest order to `near`


def test_without_redis_dispatch_uses_the_positions_in_mongodb(api_client, couriers, place_order, request):
    mid, near = couriers(2)
    _at(api_client, mid, MID)
    _at(api_client, near, NEAR)
    order = place_order()
    tracking.persist_positions()  # what the write-behind does within COURIER_LOCATION_PERSIST_S
    request.getfixturevalue("redis_down")  # only now: the positions above went to Redis first

    dispatch.dispatch()

    assert _active(api_client, near) == order["id"]


def test_a_courier_on_a_delivery_is_seen_by_that_orders_followers_only(api_client, couriers, place_order):
    kai, rae = couriers(2)
    _at(api_client, kai, NEAR)
    _at(api_client, rae, FAR)
    first = place_order()
    dispatch.dispatch()
    assert _active(api_client, kai) == first["id"]
    second = place_order()  # nobody in reach: waits, no courier

    _at(api_client, kai, MID)
    _at(api_client, rae, MID)  # rae has no order: her position goes to nobody's followers

    published = json.loads(get_redis().get(order_location.key(first["id"])))
    assert published["courier_id"] == api_client.get("/couriers/me", headers=kai).json()["id"]
    assert (published["lat"], published["lng"]) == MID
    assert 0 < published["eta_s"] < 2000  # 2.2 km to the restaurant by bicycle (15 km/h): ~530 s
    assert get_redis().get(order_location.key(second["id"])) is None


def _location_events(order_id: str) -> list[dict]:
    """The `location` entries in the order's stream history (what its followers are sent)."""
    entries = get_redis().xrange(history.keys(order_stream.topic(order_id))[0])
    return [json.loads(fields["d"]) for _id, fields in entries if fields.get("e") == order_stream.LOCATION]


def test_both_customers_of_a_courier_carrying_two_orders_see_the_courier_move(
    api_client, couriers, place_order, settings
):
    settings.DISPATCH_POLICY = "routes"
    settings.DISPATCH_MAX_ORDERS_PER_COURIER = 2
    settings.DISPATCH_COMMIT_AHEAD_S = 3600  # both orders are due now: the subject is what follows
    [kai] = couriers(1)
    _at(api_client, kai, NEAR)
    orders = [place_order()["id"], place_order()["id"]]
    planner.plan_pass()
    kai_id = api_client.get("/couriers/me", headers=kai).json()["id"]
    carried = {a["order_id"] for a in repository.assignments_of_courier(get_database(), courier_id=kai_id)}
    assert carried == set(orders)

    _at(api_client, kai, MID)

    for order_id in orders:
        published = json.loads(get_redis().get(order_location.key(order_id)))
        assert (published["courier_id"], published["lat"], published["lng"]) == (kai_id, *MID)
        assert [(e["lat"], e["lng"]) for e in _location_events(order_id)][-1:] == [MID]


def test_eta_is_to_the_restaurant_before_pickup_and_to_the_door_after():
    pickup = {"lat": 52.37, "lng": 4.89}
    dropoff = {"lat": 52.40, "lng": 4.89}  # 3.3 km north of the restaurant
    at_restaurant = {"lat": 52.37, "lng": 4.89}

    before = tracking.eta_s(
        delivery={"status": "assigned", "pickup": pickup, "dropoff": dropoff}, location=at_restaurant, vehicle="bicycle"
    )
    after = tracking.eta_s(
        delivery={"status": "picked_up", "pickup": pickup, "dropoff": dropoff}, location=at_restaurant, vehicle="car"
    )
    unknown = tracking.eta_s(
        delivery={"status": "assigned", "pickup": None, "dropoff": dropoff}, location=at_restaurant, vehicle="car"
    )

    assert before == 0
    assert after == pytest.approx(3.336 / 25 * 3600, rel=0.01)
    assert unknown is None


@pytest.mark.parametrize(("waited_s", "radius"), [(0, 5), (119, 5), (120, 10), (250, 20), (10_000, 40)])
def test_the_search_radius_doubles_while_an_order_waits(settings, waited_s, radius):
    settings.DISPATCH_RADIUS_KM, settings.DISPATCH_WIDEN_AFTER_S, settings.DISPATCH_MAX_RADIUS_KM = 5, 120, 40

    assert nearby.search_radius_km(waiting_s=waited_s) == radius
