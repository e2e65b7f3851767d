"""Steps for placing, preparing, delivering and following orders."""

import uuid

from behave import given, then, when
from support.api import EventFollower, StreamFollower, act

from common.testing.live import DELIVERED_HISTORY
from common.testing.waiting import eventually


@given('a customer "{name:Q}" with a delivery address')
def step_customer(context, name):
    customer = context.api.new_user("customer", name)
    customer["address_id"] = context.api.add_address(customer["access"])["id"]
    context.users[name] = customer
    context.customer = customer


@given('a courier "{name:Q}" who is available')
@when('a courier "{name:Q}" comes online')
def step_courier(context, name):
    courier = context.api.new_user("courier", name)
    context.users[name] = courier
    context.couriers.append(courier["access"])
    context.api.ok("PATCH", "/couriers/me", courier["access"], json={"available": True})


def _order(context, name, lines, restaurant, key=None, extra=None):
    restaurant_id = context.users[f"restaurant:{restaurant}"]["id"]
    items = [
        {"menu_item_id": context.users[f"dish:{dish}"]["id"], "quantity": qty, **(extra or {})} for dish, qty in lines
    ]
    response = context.api.call(
        "POST",
        "/customers/me/orders",
        context.users[name]["access"],
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
        json={"restaurant_id": restaurant_id, "address_id": context.users[name]["address_id"], "items": items},
    )
    context.last = response
    if response.status_code == 201:
        context.order = response.json()
        context.placed_orders.append((context.users[name]["access"], context.order["id"]))
    return response


@when('{name} orders {qty:d} "{dish:Q}" and {qty2:d} "{dish2:Q}" from "{restaurant:Q}"')
def step_order_two(context, name, qty, dish, qty2, dish2, restaurant):
    _order(context, name, [(dish, qty), (dish2, qty2)], restaurant)


@given('{name} orders {qty:d} "{dish:Q}" from "{restaurant:Q}"')
@when('{name} orders {qty:d} "{dish:Q}" from "{restaurant:Q}"')
def step_order_one(context, name, qty, dish, restaurant):
    _order(context, name, [(dish, qty)], restaurant)


@when('{name} orders {qty:d} "{dish:Q}" from "{restaurant:Q}" with the key "{key:Q}"')
def step_order_key(context, name, qty, dish, restaurant, key):
    context.first = _order(context, name, [(dish, qty)], restaurant, key=f"{key}-{context.customer['id']}")
    context.repeat = (name, [(dish, qty)], restaurant, f"{key}-{context.customer['id']}")


@when('{name} sends the same order again with the key "{key:Q}"')
def step_order_again(context, name, key):
    name, lines, restaurant, full_key = context.repeat
    context.second = _order(context, name, lines, restaurant, key=full_key)


@when('{name} orders {qty:d} "{dish:Q}" from "{restaurant:Q}" claiming it costs {price:d} cent')
def step_order_cheap(context, name, qty, dish, restaurant, price):
    _order(context, name, [(dish, qty)], restaurant, extra={"unit_price_cents": price, "price_cents": price})


@then("the order is placed with a total of {total:d} cents")
def step_placed(context, total):
    assert context.last.status_code == 201, context.last.text
    assert context.order["status"] == "placed"
    assert context.order["total_cents"] == total, context.order


@then("both answers are the same order")
def step_same_order(context):
    assert context.first.status_code == context.second.status_code == 201
    assert context.first.json()["id"] == context.second.json()["id"]


@then("{name}'s order history has {count:d} order")
def step_history(context, name, count):
    history = context.api.ok("GET", "/customers/me/orders", context.users[name]["access"])
    assert history["count"] == count, history


def _current(context):
    return context.api.ok("GET", f"/orders/{context.order['id']}", context.customer["access"])


@then("{name} is assigned to the order")
def step_assigned(context, name):
    """Seen the way the customer's app sees it: on the order's live stream, without asking again."""
    courier_id = context.users[name]["id"]
    stream = StreamFollower(context.api, f"/orders/{context.order['id']}/events", context.customer["access"])
    try:
        assigned = stream.wait_for(lambda e: e["event"] == "status" and e["data"]["courier_id"] == courier_id)
    finally:
        stream.close()
    assert assigned, stream.events


@then("the order waits for a courier")
def step_waits(context):
    assert _current(context)["courier_id"] is None


@when("{name} follows the order live")
def step_follow(context, name):
    context.follower = EventFollower(context.api, context.order["id"], context.users[name]["access"])
    assert context.follower.opened.wait(10)
    assert context.follower.status_code == 200


def _restaurant_moves(context, *statuses):
    owner = context.users["owner"]["access"]
    restaurant_id = context.order["restaurant_id"]
    for status in statuses:
        context.last = context.api.set_order_status(owner, restaurant_id, context.order["id"], status)
        assert context.last.status_code == 200, context.last.text


@when("the restaurant accepts the order, prepares it and marks it ready")
def step_restaurant_flow(context):
    _restaurant_moves(context, "accepted", "preparing", "ready")


@when("{name} picks up the order and delivers it")
def step_courier_flow(context, name):
    token = context.users[name]["access"]
    feed = StreamFollower(context.api, "/couriers/me/events", token)  # the task at hand, as the phone shows it
    try:
        snapshot = feed.wait_for(lambda e: e["event"] == "snapshot")
    finally:
        feed.close()
    delivery = snapshot["data"]["delivery"]
    assert delivery["order_id"] == context.order["id"], snapshot
    for status in ("picked_up", "delivered"):
        context.api.ok("POST", f"/deliveries/{delivery['id']}/status", token, json={"status": status})


@then('{name} saw the order go through "{statuses:Q}"')
def step_saw(context, name, statuses):
    expected = [s.strip() for s in statuses.split(",")]
    assert eventually(lambda: [e["status"] for e in context.follower.statuses][-len(expected) :] == expected), (
        context.follower.events
    )
    assert context.follower.statuses[0]["status"] in ("placed", "accepted")


@then("the live stream ended")
def step_stream_ended(context):
    assert context.follower.wait_until_closed(10)


@then("the order's history lists every step")
def step_history_steps(context):
    order = _current(context)
    assert [h["status"] for h in order["history"]] == DELIVERED_HISTORY
    assert all(h["at"] and h["actor_type"] for h in order["history"])


@when('another customer "{name}" looks at {owner}\'s order')
def step_other_looks(context, name, owner):
    other = context.api.new_user("customer", name)
    context.last = context.api.call("GET", f"/orders/{context.order['id']}", other["access"])


@when("the restaurant tries to mark the order ready straight away")
def step_skip(context):
    context.last = context.api.set_order_status(
        context.users["owner"]["access"], context.order["restaurant_id"], context.order["id"], "ready"
    )


@when("the restaurant tries to accept the order")
def step_try_accept(context):
    context.last = context.api.set_order_status(
        context.users["owner"]["access"], context.order["restaurant_id"], context.order["id"], "accepted"
    )


@when("{name} cancels the order")
def step_cancel(context, name):
    act(context, name, "POST", f"/orders/{context.order['id']}/cancel")
    assert context.last.status_code == 200, context.last.text


@then('the order is "{status:Q}"')
def step_order_status(context, status):
    assert _current(context)["status"] == status
