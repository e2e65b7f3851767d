"""Steps for the live streams of the kitchen and the courier: told, never asking."""

from behave import given, then, when
from support.api import StreamFollower


def _board_path(context) -> str:
    return f"/restaurants/{context.users[f'restaurant:{context.restaurant_name}']['id']}/orders/events"


def _open_board(context, last_event_id=None) -> StreamFollower:
    board = StreamFollower(context.api, _board_path(context), context.users["owner"]["access"], last_event_id)
    assert board.status_code == 200, board.status_code
    context.streams.append(board)
    return board


@given("the kitchen has its board open")
def step_board_open(context):
    context.board = _open_board(context)
    assert context.board.wait_for(lambda e: e["event"] == "snapshot"), context.board.events


@given('the board shows the order "{status:Q}" within {seconds:d} seconds')
@then('the board shows the order "{status:Q}" within {seconds:d} seconds')
def step_board_shows(context, status, seconds):
    order_id = context.order["id"]
    event = context.board.wait_for(
        lambda e: e["event"] == "order" and e["data"]["id"] == order_id and e["data"]["status"] == status, seconds
    )
    assert event, context.board.events
    assert event["data"]["items"][0]["menu_item_id"]  # the whole order, in the list's shape


@when("the restaurant rejects the order")
def step_reject(context):
    response = context.api.set_order_status(
        context.users["owner"]["access"], context.order["restaurant_id"], context.order["id"], "rejected"
    )
    assert response.status_code == 200, response.text


@when("the kitchen's tablet loses its connection")
def step_board_drops(context):
    context.board.close()
    context.board_last_id = context.board.events[-1]["id"]
    context.orders_before_drop = len(context.placed_orders)


@when("the kitchen's tablet reconnects")
def step_board_reconnects(context):
    context.board = _open_board(context, last_event_id=context.board_last_id)


@then("the board receives exactly the {count:d} changes it missed, in order")
def step_board_missed(context, count):
    first_order = context.placed_orders[context.orders_before_drop - 1][1]
    second_order = context.placed_orders[-1][1]
    expected = [(first_order, "rejected"), (second_order, "placed")]
    assert count == len(expected)
    assert context.board.wait_for(lambda e: len(context.board.events) >= count)
    context.board.wait_for(lambda e: False, 1.5)  # anything more would arrive now
    received = [(e["data"]["id"], e["data"]["status"]) for e in context.board.events]
    assert received == expected, context.board.events
    assert all(e["event"] == "order" for e in context.board.events)


@given('a courier "{name:Q}" with the task feed open')
def step_feed_open(context, name):
    courier = context.api.new_user("courier", name)
    context.users[name] = courier
    context.couriers.append(courier["access"])
    courier["feed"] = StreamFollower(context.api, "/couriers/me/events", courier["access"])
    context.streams.append(courier["feed"])
    snapshot = courier["feed"].wait_for(lambda e: e["event"] == "snapshot")
    assert snapshot and snapshot["data"]["delivery"] is None, courier["feed"].events


@given("{name:w} comes online")
@when("{name:w} comes online")
def step_comes_online(context, name):
    context.api.ok("PATCH", "/couriers/me", context.users[name]["access"], json={"available": True})


def _delivery_event(context, name, predicate):
    feed = context.users[name]["feed"]
    order_id = context.order["id"]
    event = feed.wait_for(lambda e: e["event"] == "delivery" and e["data"]["order_id"] == order_id and predicate(e))
    assert event, feed.events
    return event["data"]


@then('{name}\'s feed shows the delivery with the order "{status:Q}"')
def step_feed_order_status(context, name, status):
    delivery = _delivery_event(context, name, lambda e: e["data"]["order_status"] == status)
    assert delivery["courier_id"] == context.users[name]["id"]
    assert delivery["pickup"] and delivery["dropoff"]


@then('{name}\'s feed shows the delivery "{status:Q}"')
def step_feed_delivery_status(context, name, status):
    _delivery_event(context, name, lambda e: e["data"]["status"] == status)


@then("{name}'s feed, opened again, shows no delivery")
def step_feed_again(context, name):
    feed = StreamFollower(context.api, "/couriers/me/events", context.users[name]["access"])
    context.streams.append(feed)
    snapshot = feed.wait_for(lambda e: e["event"] == "snapshot")
    assert snapshot and snapshot["data"] == {"delivery": None, "deliveries": [], "route": []}, feed.events
