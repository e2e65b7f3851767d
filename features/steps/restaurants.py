"""Steps for restaurants, menus and browsing."""

from behave import given, then, when
from support.api import act


def _restaurant(context, name):
    return context.users[f"restaurant:{name}"]


@given('a restaurant user "{name:Q}" with the restaurant "{restaurant:Q}" serving "{cuisine:Q}"')
def step_restaurant(context, name, restaurant, cuisine):
    owner = context.api.new_user("restaurant user", name)
    context.users["owner"] = owner
    context.users[f"restaurant:{restaurant}"] = context.api.create_restaurant(owner["access"], restaurant, cuisine)
    context.restaurant_name = restaurant


@given('another restaurant user "{name:Q}"')
def step_other_owner(context, name):
    context.users[name] = context.api.new_user("restaurant user", name)


@when('the restaurant user adds "{dish:Q}" for {price:d} cents to the menu')
@given('the menu of "{restaurant:Q}" has "{dish:Q}" for {price:d} cents')
def step_add_dish(context, dish, price, restaurant=None):
    restaurant = _restaurant(context, restaurant or context.restaurant_name)
    context.last = context.api.add_dish(context.users["owner"]["access"], restaurant["id"], dish, price)
    assert context.last.status_code == 201, context.last.text
    context.users[f"dish:{dish}"] = context.last.json()


@when('the restaurant user adds "{dish:Q}" for "{price:Q}" cents to the menu')
def step_add_dish_bad_price(context, dish, price):
    restaurant = _restaurant(context, context.restaurant_name)
    act(
        context,
        "owner",
        "POST",
        f"/restaurants/{restaurant['id']}/menu/items",
        json={"name": dish, "price_cents": price},
    )


@given("a customer has looked at the menu")
def step_looked(context):
    context.api.menu(_restaurant(context, context.restaurant_name)["id"])


@when('the restaurant user changes the price of "{dish:Q}" to {price:d} cents')
def step_change_price(context, dish, price):
    restaurant = _restaurant(context, context.restaurant_name)
    item = context.users[f"dish:{dish}"]
    context.api.ok(
        "PATCH",
        f"/restaurants/{restaurant['id']}/menu/items/{item['id']}",
        context.users["owner"]["access"],
        json={"price_cents": price},
    )


@then('anyone reading the menu of "{restaurant:Q}" sees "{dish:Q}" for {price:d} cents')
def step_sees_dish(context, restaurant, dish, price):
    items = {i["name"]: i["price_cents"] for i in context.api.menu(_restaurant(context, restaurant)["id"])["items"]}
    assert items.get(dish) == price, items


@then(
    'anyone reading the menu of "{restaurant:Q}" sees "{dish:Q}" for {price:d} cents and "{dish2:Q}" for {price2:d} cents'
)
def step_sees_two(context, restaurant, dish, price, dish2, price2):
    menu = context.api.menu(_restaurant(context, restaurant)["id"])
    assert menu["restaurant_id"] == _restaurant(context, restaurant)["id"]
    items = {i["name"]: i["price_cents"] for i in menu["items"]}
    assert items == {dish: price, dish2: price2}, items


@when('a customer searches restaurants for "{text:Q}"')
def step_search(context, text):
    context.results = context.api.ok("GET", "/restaurants", params={"q": text, "page_size": 100})


@when('a customer browses restaurants of the cuisine "{cuisine:Q}"')
def step_browse(context, cuisine):
    context.results = context.api.ok("GET", "/restaurants", params={"cuisine": cuisine, "page_size": 100})


@then('"{restaurant:Q}" is among the results')
def step_among(context, restaurant):
    expected = _restaurant(context, restaurant)["id"]
    assert set(context.results) == {"count", "next", "previous", "results"}
    assert expected in [r["id"] for r in context.results["results"]]


@when('"{name:Q}" tries to rename "{restaurant:Q}"')
def step_rename(context, name, restaurant):
    act(context, name, "PATCH", f"/restaurants/{_restaurant(context, restaurant)['id']}", json={"name": "Mine now"})


@then('"{name:Q}" cannot add dishes to "{restaurant:Q}" either')
def step_cannot_add(context, name, restaurant):
    response = context.api.add_dish(context.users[name]["access"], _restaurant(context, restaurant)["id"], "X", 100)
    assert response.status_code == 403, response.text
