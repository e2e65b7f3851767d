"""Couriers, assignment and the courier's side of a delivery, with the live order service."""

import pytest


def _go_online(api_client, headers):
    response = api_client.patch("/couriers/me", {"available": True}, format="json", headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def _order_of(actors, kitchen, order_id):
    return actors.ok("GET", f"/orders/{order_id}", headers=kitchen["customer_headers"])


def test_the_courier_profile_is_made_on_first_access(api_client, courier):
    _, headers = courier

    me = api_client.get("/couriers/me", headers=headers)

    assert me.status_code == 200
    assert me.json()["name"] == "Kai"
    assert me.json()["available"] is False
    assert me.json()["active_order_id"] is None


@pytest.mark.parametrize("body", [{"vehicle": "x" * 51}, {"available": "maybe"}, {"name": {"$ne": 1}}])
def test_invalid_courier_changes_are_400(api_client, courier, body):
    assert api_client.patch("/couriers/me", body, format="json", headers=courier[1]).status_code == 400


def test_courier_routes_are_for_couriers(api_client, issue_token):
    customer = {"Authorization": f"Bearer {issue_token('customer')}"}

    assert api_client.get("/couriers/me", headers=customer).status_code == 403
    assert api_client.get("/deliveries").status_code == 401


def test_a_waiting_order_is_assigned_when_a_courier_comes_online(api_client, actors, kitchen, place_order, courier):
    courier_id, headers = courier
    api_client.get("/couriers/me", headers=headers)
    order = place_order()
    assert order["courier_id"] is None  # nobody was free

    me = _go_online(api_client, headers)

    assert me["active_order_id"] == order["id"]
    assert _order_of(actors, kitchen, order["id"])["courier_id"] == courier_id
    deliveries = api_client.get("/deliveries", headers=headers).json()
    assert deliveries["count"] == 1
    delivery = deliveries["results"][0]
    assert delivery["order_id"] == order["id"]
    assert delivery["status"] == "assigned"
    assert delivery["dropoff"]["city"] == "Amsterdam"
    assert delivery["pickup"]["city"] == "Amsterdam"


def test_pickup_before_the_food_is_ready_is_a_409(api_client, actors, kitchen, place_order, courier):
    _, headers = courier
    order = place_order()
    _go_online(api_client, headers)
    delivery = api_client.get("/deliveries", headers=headers).json()["results"][0]

    response = api_client.post(
        f"/deliveries/{delivery['id']}/status", {"status": "picked_up"}, format="json", headers=headers
    )

    assert response.status_code == 409
    assert response.json()["error"]["details"]["current"] == "placed"
    assert _order_of(actors, kitchen, order["id"])["status"] == "placed"


def test_the_courier_delivers_and_then_gets_the_oldest_waiting_order(
    api_client, actors, kitchen, place_order, courier, restaurant_moves
):
    _courier_id, headers = courier
    first, second, third = place_order(), place_order(), place_order()
    _go_online(api_client, headers)
    delivery = api_client.get("/deliveries", headers=headers).json()["results"][0]
    assert delivery["order_id"] == first["id"]
    restaurant_moves(first["id"], "accepted", "preparing", "ready")

    picked = api_client.post(
        f"/deliveries/{delivery['id']}/status", {"status": "picked_up"}, format="json", headers=headers
    )
    delivered = api_client.post(
        f"/deliveries/{delivery['id']}/status", {"status": "delivered"}, format="json", headers=headers
    )

    assert picked.status_code == delivered.status_code == 200
    assert delivered.json()["status"] == "delivered"
    assert [h["status"] for h in delivered.json()["history"]] == ["assigned", "picked_up", "delivered"]
    assert _order_of(actors, kitchen, first["id"])["status"] == "delivered"
    assert api_client.get("/couriers/me", headers=headers).json()["active_order_id"] == second["id"]
    assert _order_of(actors, kitchen, third["id"])["courier_id"] is None


def test_delivery_steps_cannot_be_skipped_or_repeated(api_client, place_order, courier):
    _, headers = courier
    place_order()
    _go_online(api_client, headers)
    delivery = api_client.get("/deliveries", headers=headers).json()["results"][0]

    skipped = api_client.post(
        f"/deliveries/{delivery['id']}/status", {"status": "delivered"}, format="json", headers=headers
    )
    bogus = api_client.post(
        f"/deliveries/{delivery['id']}/status", {"status": "assigned"}, format="json", headers=headers
    )

    assert skipped.status_code == 409
    assert skipped.json()["error"]["details"] == {"current": "assigned", "requested": "delivered"}
    assert bogus.status_code == 400


def test_another_courier_cannot_see_or_move_the_delivery(api_client, actors, place_order, courier):
    _, headers = courier
    place_order()
    _go_online(api_client, headers)
    delivery = api_client.get("/deliveries", headers=headers).json()["results"][0]
    _, other = actors.user("couriers", "Mallory")

    assert api_client.get(f"/deliveries/{delivery['id']}", headers=other).status_code == 404
    assert (
        api_client.post(
            f"/deliveries/{delivery['id']}/status", {"status": "picked_up"}, format="json", headers=other
        ).status_code
        == 404
    )
    assert api_client.get("/deliveries", headers=other).json()["count"] == 0
    assert api_client.get("/deliveries/nope", headers=headers).status_code == 404


def test_a_cancelled_order_frees_its_courier_for_the_next_one(
    api_client, place_order, courier, issue_token, actors, kitchen
):
    _, headers = courier
    first, second = place_order(), place_order()
    _go_online(api_client, headers)
    actors.ok("POST", f"/orders/{first['id']}/cancel", headers=kitchen["customer_headers"])
    service = {"Authorization": f"Bearer {issue_token('service', sub='order')}"}

    released = api_client.post(
        "/internal/deliveries/release", {"order_id": first["id"]}, format="json", headers=service
    )

    assert released.status_code == 200
    statuses = {d["order_id"]: d["status"] for d in api_client.get("/deliveries", headers=headers).json()["results"]}
    assert statuses[first["id"]] == "cancelled"
    assert api_client.get("/couriers/me", headers=headers).json()["active_order_id"] == second["id"]


def test_a_release_message_for_a_live_order_changes_nothing(api_client, place_order, courier, issue_token):
    """The order service owns the order's status: the delivery service reads it, never trusts a message."""
    _, headers = courier
    order = place_order()
    _go_online(api_client, headers)
    service = {"Authorization": f"Bearer {issue_token('service', sub='order')}"}

    api_client.post("/internal/deliveries/release", {"order_id": order["id"]}, format="json", headers=service)

    assert api_client.get("/couriers/me", headers=headers).json()["active_order_id"] == order["id"]


def test_the_deliveries_list_filters_by_status(api_client, place_order, courier):
    _, headers = courier
    place_order()
    _go_online(api_client, headers)

    assert api_client.get("/deliveries?status=assigned", headers=headers).json()["count"] == 1
    assert api_client.get("/deliveries?status=delivered", headers=headers).json()["count"] == 0
    assert api_client.get("/deliveries?status=lost", headers=headers).status_code == 400
