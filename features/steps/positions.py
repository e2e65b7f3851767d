"""Steps for couriers' positions, nearest-courier dispatch and delivery areas."""

from behave import given, then, when
from support.api import ADDRESS

KM_PER_DEGREE_LAT = 111.2


def _north_of(context, restaurant: str, distance_km: float) -> dict:
    origin = context.users[f"restaurant:{restaurant}"]["address"]
    return {"lat": origin["lat"] + distance_km / KM_PER_DEGREE_LAT, "lng": origin["lng"]}


def _distance_km(amount: float, unit: str) -> float:
    return amount / 1000 if unit == "m" else amount


@given('a courier "{name:Q}" who is available {amount:g} {unit:w} from "{restaurant:Q}"')
def step_courier_at(context, name, amount, unit, restaurant):
    courier = context.api.new_user("courier", name)
    context.users[name] = courier
    context.couriers.append(courier["access"])
    position = _north_of(context, restaurant, _distance_km(amount, unit))
    context.api.ok("POST", "/couriers/me/location", courier["access"], expect=204, json=position)
    context.api.ok("PATCH", "/couriers/me", courier["access"], json={"available": True})


@when('{name} moves to {amount:g} {unit:w} from "{restaurant:Q}"')
def step_courier_moves(context, name, amount, unit, restaurant):
    position = _north_of(context, restaurant, _distance_km(amount, unit))
    context.api.ok("POST", "/couriers/me/location", context.users[name]["access"], expect=204, json=position)


@given('a customer "{name:Q}" with a delivery address {amount:g} {unit:w} from "{restaurant:Q}"')
def step_far_customer(context, name, amount, unit, restaurant):
    customer = context.api.new_user("customer", name)
    address = {**ADDRESS, "label": "Far away", **_north_of(context, restaurant, _distance_km(amount, unit))}
    customer["address_id"] = context.api.ok(
        "POST", "/customers/me/addresses", customer["access"], expect=201, json=address
    )["id"]
    context.users[name] = customer


@then("{name} sees {courier}'s position on the live stream with an arrival estimate")
def step_sees_position(context, name, courier):
    courier_id = context.users[courier]["id"]
    assert context.follower.wait_for(lambda e: e["event"] == "location"), "no location event arrived"
    event = context.follower.locations[-1]
    assert event["order_id"] == context.order["id"]
    assert event["courier_id"] == courier_id
    assert event["eta_s"] > 0
    assert {"lat", "lng", "at"} <= set(event)


@then("{name}'s order shows where {courier} is")
def step_order_shows_position(context, name, courier):
    order = context.api.ok("GET", f"/orders/{context.order['id']}", context.users[name]["access"])
    assert order["courier_id"] == context.users[courier]["id"]
    assert order["courier_location"] is not None
    assert order["courier_location"]["lat"] > context.users["restaurant:Pho Palace"]["address"]["lat"]
    assert order["eta_s"] > 0


@then("the error names the distance and the radius")
def step_error_distance(context):
    details = context.last.json()["error"]["details"]
    assert details["distance_km"] > details["radius_km"], details
