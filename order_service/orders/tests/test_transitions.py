"""Transitions through the internal route and the customer's cancel, against the real servers."""

import json
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import ANY

import pytest

from orders.tests.helpers import placed, transition


@pytest.fixture
def order(api_client, service_headers, menu):
    return placed(api_client, service_headers, menu, customer_id="c" * 24)


def _owner(menu):
    return menu["owner_id"]


def test_the_restaurant_moves_the_order_to_ready_with_history(api_client, service_headers, menu, order):
    for status in ("accepted", "preparing", "ready"):
        response = transition(api_client, service_headers, order["id"], status, "restaurant", _owner(menu))
        assert response.status_code == 200, response.content

    history = response.json()["history"]
    assert [h["status"] for h in history] == ["placed", "accepted", "preparing", "ready"]
    assert history[-1]["actor_type"] == "restaurant"
    assert history[-1]["actor_id"] == _owner(menu)


@pytest.mark.parametrize(
    ("status", "actor_type"),
    [
        ("preparing", "restaurant"),
        ("ready", "restaurant"),
        ("delivered", "restaurant"),
        ("accepted", "customer"),
        ("cancelled", "restaurant"),
        ("placed", "restaurant"),
    ],
)
def test_illegal_moves_are_409_naming_the_current_state(api_client, service_headers, menu, order, status, actor_type):
    actor_id = {"restaurant": _owner(menu), "customer": "c" * 24}[actor_type]

    response = transition(api_client, service_headers, order["id"], status, actor_type, actor_id)

    assert response.status_code == 409
    assert response.json()["error"]["details"]["current"] == "placed"


def test_someone_who_is_not_a_party_gets_404(api_client, service_headers, order):
    assert transition(api_client, service_headers, order["id"], "accepted", "restaurant", "x" * 24).status_code == 404
    assert transition(api_client, service_headers, order["id"], "picked_up", "courier", "k" * 24).status_code == 404


def test_the_restaurant_must_match_the_route(api_client, service_headers, menu, order):
    response = transition(
        api_client, service_headers, order["id"], "accepted", "restaurant", _owner(menu), restaurant_id="0" * 24
    )

    assert response.status_code == 404


def test_racing_accept_and_reject_have_exactly_one_winner(service_headers, menu, order, mongo_db):
    from rest_framework.test import APIClient

    def attempt(status):
        return transition(APIClient(), service_headers, order["id"], status, "restaurant", _owner(menu)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, ["accepted", "rejected"] * 6))

    assert statuses.count(200) == 1
    assert statuses.count(409) == 11
    stored = mongo_db["orders"].find_one({})
    assert len(stored["history"]) == 2


def test_transitions_announce_the_live_status_to_the_order_and_its_kitchen(
    api_client, service_headers, menu, order, redis_client
):
    from common.streams import history as stream_history

    transition(api_client, service_headers, order["id"], "accepted", "restaurant", _owner(menu))

    def history(topic):
        return [(f["e"], json.loads(f["d"])) for _id, f in redis_client.xrange(stream_history.keys(topic)[0])]

    assert history(f"order:{order['id']}")[-1] == (
        "status",
        {"order_id": order["id"], "status": "accepted", "at": ANY, "courier_id": None},
    )
    event, board_order = history(f"restaurant:{menu['restaurant']['id']}")[-1]
    assert (event, board_order["id"], board_order["status"]) == ("order", order["id"], "accepted")


def test_the_customer_cancels_while_placed_only(api_client, service_headers, menu, order, issue_token):
    customer = {"Authorization": f"Bearer {issue_token('customer', sub='c' * 24)}"}
    stranger = {"Authorization": f"Bearer {issue_token('customer', sub='d' * 24)}"}

    assert api_client.post(f"/orders/{order['id']}/cancel", headers=stranger).status_code == 404
    assert api_client.post(f"/orders/{order['id']}/cancel", headers=customer).status_code == 200
    again = api_client.post(f"/orders/{order['id']}/cancel", headers=customer)
    assert again.status_code == 409
    assert again.json()["error"]["details"]["current"] == "cancelled"


def test_cancel_after_acceptance_is_refused(api_client, service_headers, menu, order, issue_token):
    transition(api_client, service_headers, order["id"], "accepted", "restaurant", _owner(menu))
    customer = {"Authorization": f"Bearer {issue_token('customer', sub='c' * 24)}"}

    response = api_client.post(f"/orders/{order['id']}/cancel", headers=customer)

    assert response.status_code == 409
    assert response.json()["error"]["details"]["current"] == "accepted"


def test_parties_read_the_order_and_others_get_404(api_client, menu, order, issue_token):
    def get(user_type, sub):
        return api_client.get(
            f"/orders/{order['id']}", headers={"Authorization": f"Bearer {issue_token(user_type, sub=sub)}"}
        )

    assert get("customer", "c" * 24).status_code == 200
    assert get("restaurant", _owner(menu)).status_code == 200
    assert get("customer", "d" * 24).status_code == 404
    assert get("restaurant", "r" * 24).status_code == 404
    assert get("courier", "k" * 24).status_code == 404
    assert (
        api_client.get(
            "/orders/not-an-id", headers={"Authorization": f"Bearer {issue_token('customer', sub='c' * 24)}"}
        ).status_code
        == 404
    )


def test_history_lists_the_customers_orders_newest_first(api_client, service_headers, menu):
    first = placed(api_client, service_headers, menu, key="a")
    second = placed(api_client, service_headers, menu, key="b")
    placed(api_client, service_headers, menu, key="c", customer_id="e" * 24)

    page = api_client.get(f"/internal/orders?customer_id={'c' * 24}", headers=service_headers).json()

    assert page["count"] == 2
    assert [o["id"] for o in page["results"]] == [second["id"], first["id"]]


def test_a_cancel_does_not_wait_for_the_delivery_service(api_client, order, issue_token, settings):
    """The courier's release is sent in the background and waited for only briefly: with the
    delivery service unreachable the cancel still answers at once (its reconciler frees the courier)."""
    import time

    from common.http import service_client

    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "delivery": "http://10.255.255.1:9"}  # never answers
    settings.RELEASE_WAIT_S = 0.3
    service_client.cache_clear()
    customer = {"Authorization": f"Bearer {issue_token('customer', sub='c' * 24)}"}
    started = time.monotonic()

    response = api_client.post(f"/orders/{order['id']}/cancel", headers=customer)

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert time.monotonic() - started < 1.0
    service_client.cache_clear()


def test_racing_identical_projections_are_one_success_each(api_client, service_headers, order):
    """The delivery service's assignment message is idempotent: repeats and retries all succeed."""
    from concurrent.futures import ThreadPoolExecutor

    from rest_framework.test import APIClient

    body = {"courier_id": "k" * 24, "delivery_id": "d" * 24}

    def project(_):
        return (
            APIClient()
            .put(f"/internal/orders/{order['id']}/courier", body, format="json", headers=service_headers)
            .status_code
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(project, range(8)))
    other = api_client.put(
        f"/internal/orders/{order['id']}/courier",
        {"courier_id": "j" * 24, "delivery_id": "e" * 24},
        format="json",
        headers=service_headers,
    )
    stale_clear = api_client.delete(
        f"/internal/orders/{order['id']}/courier?delivery_id={'e' * 24}", headers=service_headers
    )

    assert statuses == [200] * 8
    assert other.status_code == 409
    assert other.json()["error"]["details"]["delivery_id"] == "d" * 24
    assert stale_clear.status_code == 200
    assert stale_clear.json()["courier_id"] == "k" * 24  # clearing another delivery changes nothing
