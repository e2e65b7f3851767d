"""Steps for pausing new orders (`POST` and `DELETE /restaurants/{rid}/pause`)."""

from datetime import datetime

from behave import then, when


def _restaurant(context, name):
    return context.users[f"restaurant:{name}"]


def _pause(context, who, restaurant, minutes):
    return context.api.call(
        "POST",
        f"/restaurants/{_restaurant(context, restaurant)['id']}/pause",
        context.users[who]["access"],
        json={"minutes": minutes},
    )


@when('{owner} pauses new orders at "{restaurant:Q}" for {minutes:d} minutes')
def step_pause(context, owner, restaurant, minutes):
    response = _pause(context, owner, restaurant, minutes)
    assert response.status_code == 200, response.text
    context.paused_until = response.json()["paused_until"]
    assert response.json()["accepting_orders"] is False


@when('{who} tries to pause new orders at "{restaurant:Q}" for {minutes:d} minutes')
def step_try_pause(context, who, restaurant, minutes):
    context.last = _pause(context, who.strip('"'), restaurant, minutes)


@when('{owner} resumes new orders at "{restaurant:Q}"')
def step_resume(context, owner, restaurant):
    resumed = context.api.ok(
        "DELETE", f"/restaurants/{_restaurant(context, restaurant)['id']}/pause", context.users[owner]["access"]
    )
    assert (resumed["accepting_orders"], resumed["paused_until"]) == (True, None), resumed


def _order_body(context, name, qty, dish, restaurant):
    return {
        "restaurant_id": _restaurant(context, restaurant)["id"],
        "address_id": context.users[name]["address_id"],
        "items": [{"menu_item_id": context.users[f"dish:{dish}"]["id"], "quantity": qty}],
    }


@then(
    '{name} is told that "{restaurant:Q}" takes no orders until the pause ends, when asking what {qty:d} "{dish:Q}" '
    "would cost and when ordering it"
)
def step_told_paused(context, name, restaurant, qty, dish):
    body = _order_body(context, name, qty, dish, restaurant)
    access = context.users[name]["access"]
    for path, headers in (
        ("/customers/me/orders/quote", {}),
        ("/customers/me/orders", {"Idempotency-Key": "while-paused"}),
    ):
        response = context.api.call("POST", path, access, json=body, headers=headers)
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "restaurant_not_accepting", error
        assert datetime.fromisoformat(error["details"]["paused_until"]) == datetime.fromisoformat(context.paused_until)


@then('{name} sees "{names:Q}" in that order, "{restaurant:Q}" not accepting orders')
def step_sees_paused_last(context, name, names, restaurant):
    customer = context.users[name]
    found = context.api.ok("GET", "/restaurants", customer["access"], params={"address_id": customer["address_id"]})
    assert [r["name"] for r in found["results"]] == [n.strip() for n in names.split(",")], found
    accepting = {r["name"]: r["accepting_orders"] for r in found["results"]}
    assert accepting.pop(restaurant) is False
    assert all(accepting.values()), accepting


@then("the order placed before the pause goes on: the restaurant can still accept it")
def step_order_goes_on(context):
    order = context.order
    accepted = context.api.ok(
        "POST",
        f"/restaurants/{order['restaurant_id']}/orders/{order['id']}/status",
        context.users["owner"]["access"],
        json={"status": "accepted"},
    )
    assert accepted["status"] == "accepted", accepted


@then('{name} can order {qty:d} "{dish:Q}" from "{restaurant:Q}" again')
def step_orders_again(context, name, qty, dish, restaurant):
    body = _order_body(context, name, qty, dish, restaurant)
    response = context.api.call(
        "POST",
        "/customers/me/orders",
        context.users[name]["access"],
        json=body,
        headers={"Idempotency-Key": "after-pause"},
    )
    assert response.status_code == 201, response.text


@then('"{restaurant:Q}" is still taking orders')
def step_still_taking(context, restaurant):
    shown = context.api.ok("GET", f"/restaurants/{_restaurant(context, restaurant)['id']}")
    assert (shown["accepting_orders"], shown["paused_until"]) == (True, None), shown
