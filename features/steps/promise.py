"""Steps for the delivery promise: who delivers to me, the quote, and the estimates."""

import random
from datetime import datetime

from behave import given, then, when
from support.api import ADDRESS, StreamFollower, act

KM_PER_DEGREE_LAT = 111.2


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _minutes_between(earlier: str, later: str) -> float:
    return (_at(later) - _at(earlier)).total_seconds() / 60


@given('a customer "{name:Q}" at home in a town of her own')
def step_customer_in_a_town(context, name):
    # A point of its own on the map: no other scenario's restaurant is anywhere near.
    context.home = {"lat": round(random.uniform(-55, 55), 5), "lng": round(random.uniform(-170, 170), 5)}
    customer = context.api.new_user("customer", name)
    customer["address_id"] = context.api.ok(
        "POST",
        "/customers/me/addresses",
        customer["access"],
        expect=201,
        json={"label": "Home", **ADDRESS, **context.home},
    )["id"]
    context.users[name] = customer
    context.customer = customer


@given('a restaurant user "{name:Q}"')
def step_restaurant_user(context, name):
    context.users["owner"] = context.users[name] = context.api.new_user("restaurant user", name)


def _restaurant_near_home(context, owner, restaurant, km, radius_km, **fields):
    address = {**ADDRESS, "lat": context.home["lat"] + km / KM_PER_DEGREE_LAT, "lng": context.home["lng"]}
    context.users[f"restaurant:{restaurant}"] = context.api.create_restaurant(
        context.users[owner]["access"], restaurant, address=address, delivery_radius_km=radius_km, **fields
    )
    context.restaurant_name = restaurant


@given("{owner}'s restaurant \"{restaurant:Q}\" {km:g} km from {customer}'s home, delivering within {radius:g} km")
def step_restaurant_near(context, owner, restaurant, km, customer, radius):
    _restaurant_near_home(context, owner, restaurant, km, radius)


@given(
    "{owner}'s restaurant \"{restaurant:Q}\" {km:g} km from {customer}'s home, delivering within {radius:g} km, "
    "for a fee of {fee:d} cents"
)
def step_restaurant_near_with_fee(context, owner, restaurant, km, customer, radius, fee):
    _restaurant_near_home(context, owner, restaurant, km, radius, delivery_fee_cents=fee)


@when("{name} looks for restaurants that deliver to her home")
def step_browse_home(context, name):
    customer = context.users[name]
    context.found = context.api.ok(
        "GET", "/restaurants", customer["access"], params={"address_id": customer["address_id"]}
    )


@then('she sees "{names:Q}" in that order')
def step_sees(context, names):
    assert [r["name"] for r in context.found["results"]] == [n.strip() for n in names.split(",")], context.found


@then("each of them says how far it is and how many minutes an order takes")
def step_each_says(context):
    for restaurant in context.found["results"]:
        assert restaurant["distance_km"] > 0, restaurant
        # its preparation time, and the ride
        assert restaurant["estimated_delivery_min"] > restaurant["prep_time_min"], restaurant


def _order_body(context, name, qty, dish, restaurant):
    return {
        "restaurant_id": context.users[f"restaurant:{restaurant}"]["id"],
        "address_id": context.users[name]["address_id"],
        "items": [{"menu_item_id": context.users[f"dish:{dish}"]["id"], "quantity": qty}],
    }


@when('{name} asks what {qty:d} "{dish:Q}" from "{restaurant:Q}" would cost')
def step_quote(context, name, qty, dish, restaurant):
    context.quote = context.api.ok(
        "POST",
        "/customers/me/orders/quote",
        context.users[name]["access"],
        json=_order_body(context, name, qty, dish, restaurant),
    )


@then(
    "the quote says {food:d} cents of food, {fee:d} cents of delivery, {total:d} cents in all, and when it would arrive"
)
def step_quote_says(context, food, fee, total):
    quote = context.quote
    assert (quote["subtotal_cents"], quote["delivery_fee_cents"], quote["total_cents"]) == (food, fee, total), quote
    assert _at(quote["estimated_delivery_at"]) > datetime.now(tz=_at(quote["estimated_delivery_at"]).tzinfo)


@then("the order costs exactly what the quote said and arrives when it said")
def step_order_as_quoted(context):
    order, quote = context.order, context.quote
    for field in ("items", "subtotal_cents", "delivery_fee_cents", "total_cents"):
        assert order[field] == quote[field], (field, order[field], quote[field])
    # Placed moments after the quote: the same estimate, give or take those moments.
    assert abs(_minutes_between(quote["estimated_delivery_at"], order["estimated_delivery_at"])) < 1


@given("the restaurant accepts it, saying it will be ready in {minutes:d} minutes")
def step_accepts_with_time(context, minutes):
    act(
        context,
        "owner",
        "POST",
        f"/restaurants/{context.order['restaurant_id']}/orders/{context.order['id']}/status",
        json={"status": "accepted", "ready_in_min": minutes},
    )
    assert context.last.status_code == 200, context.last.text
    context.order = context.last.json()


@given("{name} follows the order live")
def step_follow_given(context, name):
    context.follower = StreamFollower(
        context.api, f"/orders/{context.order['id']}/events", context.users[name]["access"]
    )
    context.streams.append(context.follower)
    context.first_estimate = context.follower.wait_for(lambda e: e["event"] == "estimate")
    assert context.first_estimate, context.follower.events


@when("the restaurant says it is running {minutes:d} minutes late")
def step_late(context, minutes):
    act(
        context,
        "owner",
        "POST",
        f"/restaurants/{context.order['restaurant_id']}/orders/{context.order['id']}/delay",
        json={"minutes": minutes},
    )
    assert context.last.status_code == 200, context.last.text


@then("{name} is told that the food now arrives {minutes:d} minutes later")
def step_told_later(context, name, minutes):
    before = context.first_estimate["data"]["estimated_delivery_at"]
    moved = context.follower.wait_for(
        lambda e: e["event"] == "estimate" and e["data"]["estimated_delivery_at"] != before
    )
    assert moved, context.follower.events
    assert round(_minutes_between(before, moved["data"]["estimated_delivery_at"])) == minutes, moved
    shown = context.api.ok("GET", f"/orders/{context.order['id']}", context.users[name]["access"])
    assert _at(shown["estimated_delivery_at"]) == _at(moved["data"]["estimated_delivery_at"])
