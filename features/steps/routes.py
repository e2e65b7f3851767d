"""Steps for planned routes (ARCHITECTURE 4.7): several orders per courier, in one trip."""

import time
import uuid
from datetime import datetime

from behave import given, then, when
from support.api import ADDRESS

KM_PER_DEGREE_LAT = 111.2


def _eventually(check, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace(" and ", ",").split(",") if n.strip()]


@given('customers "{names:Q}" with delivery addresses in one neighbourhood {km:g} km from "{restaurant:Q}"')
def step_neighbours(context, names, km, restaurant):
    origin = context.users[f"restaurant:{restaurant}"]["address"]
    for n, name in enumerate(_names(names)):
        customer = context.api.new_user("customer", name)
        place = {"lat": origin["lat"] + (km + 0.15 * n) / KM_PER_DEGREE_LAT, "lng": origin["lng"] + 0.001 * n}
        address = {**ADDRESS, "label": "Home", "line1": f"{n + 1} Neighbour Lane", **place}
        customer["address_id"] = context.api.ok(
            "POST", "/customers/me/addresses", customer["access"], expect=201, json=address
        )["id"]
        context.users[name] = customer


@when('{names} each order 1 "{dish:Q}" from "{restaurant:Q}"')
def step_each_orders(context, names, dish, restaurant):
    context.route_orders = {}
    for name in _names(names):
        order = context.api.ok(
            "POST",
            "/customers/me/orders",
            context.users[name]["access"],
            expect=201,
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "restaurant_id": context.users[f"restaurant:{restaurant}"]["id"],
                "address_id": context.users[name]["address_id"],
                "items": [{"menu_item_id": context.users[f"dish:{dish}"]["id"], "quantity": 1}],
            },
        )
        context.route_orders[order["id"]] = name
        context.placed_orders.append((context.users[name]["access"], order["id"]))


@when("the restaurant accepts the orders, prepares them and marks them ready")
def step_kitchen(context):
    owner = context.users["owner"]["access"]
    for order_id, name in context.route_orders.items():
        restaurant_id = context.api.ok("GET", f"/orders/{order_id}", context.users[name]["access"])["restaurant_id"]
        for status in ("accepted", "preparing", "ready"):
            response = context.api.set_order_status(owner, restaurant_id, order_id, status)
            assert response.status_code == 200, response.text


def _route(context, name) -> list[dict]:
    return context.api.ok("GET", "/couriers/me", context.users[name]["access"])["route"]


@then("{names} each have a route of two orders, both pickups before the drop-offs")
def step_two_routes(context, names):
    couriers = _names(names)

    # The route follows what the courier's deliveries know: the kitchen's "ready" reaches them just
    # after the kitchen's answer, so a route read at once may still return for a pickup not ready.
    def settled():
        routes = {name: _route(context, name) for name in couriers}
        shape = ["pickup", "pickup", "dropoff", "dropoff"]
        return routes if all([s["stop"] for s in r] == shape for r in routes.values()) else None

    routes = _eventually(settled)
    assert routes, {name: _route(context, name) for name in couriers}
    seen = set()
    for route in routes.values():
        assert [s["stop"] for s in route] == ["pickup", "pickup", "dropoff", "dropoff"], route
        orders = {s["order_id"] for s in route}
        assert len(orders) == 2 and not orders & seen, routes
        seen |= orders
        assert all(s["eta"] for s in route)
    assert seen == set(context.route_orders)
    context.routes = routes


def _order(context, order_id) -> dict:
    name = context.route_orders[order_id]
    return context.api.ok("GET", f"/orders/{order_id}", context.users[name]["access"])


def _arrival(context, order_id) -> datetime:
    order = _order(context, order_id)
    return datetime.fromisoformat(order["estimated_delivery_at"].replace("Z", "+00:00"))


@then("the customer of each second stop is told a later arrival than the first")
def step_later_estimates(context):
    for route in context.routes.values():
        first, second = (s["order_id"] for s in route if s["stop"] == "dropoff")
        assert _eventually(lambda f=first, s=second: _arrival(context, s) > _arrival(context, f)), (
            _order(context, first),
            _order(context, second),
            route,
        )


@when("{names} follow their routes")
def step_follow_routes(context, names):
    for name in _names(names):
        token = context.users[name]["access"]
        for stop in _route(context, name):
            status = "picked_up" if stop["stop"] == "pickup" else "delivered"
            context.api.ok("POST", f"/deliveries/{stop['delivery_id']}/status", token, json={"status": status})


@then("every order is delivered")
def step_all_delivered(context):
    def statuses():
        return {
            oid: context.api.ok("GET", f"/orders/{oid}", context.users[name]["access"])["status"]
            for oid, name in context.route_orders.items()
        }

    assert _eventually(lambda: set(statuses().values()) == {"delivered"}), statuses()
