"""The seed's whole workflow through the gateway, on the live platform, as a client app would do it."""

import json
import re
import threading
import uuid

import pytest
import requests

from common.testing.live import DELIVERED_HISTORY
from common.testing.waiting import eventually

# Couriers here must get this module's orders, not what earlier tests left waiting.
pytestmark = pytest.mark.usefixtures("no_orders_waiting")


def _follow(actors, order_id, headers, events: list, opened: threading.Event):
    with requests.get(
        f"{actors.gateway}/orders/{order_id}/events", headers=headers, stream=True, timeout=30
    ) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        opened.set()
        kind = "message"
        for line in response.iter_lines():
            if line.startswith(b"event:"):
                kind = line[6:].strip().decode()
            elif line.startswith(b"data:") and kind == "status":  # estimates and positions come too
                events.append(json.loads(line[5:]))


def test_order_to_doorstep_followed_live(actors):
    _owner_id, chef = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(chef, prices=(1250, 800))
    restaurant_id = world["restaurant"]["id"]
    _customer_id, cleo, address_id = actors.customer_with_address()
    courier_id, kai = actors.user("couriers", "Kai")
    body = {
        "restaurant_id": restaurant_id,
        "address_id": address_id,
        "items": [
            {"menu_item_id": world["items"][0]["id"], "quantity": 2, "unit_price_cents": 1},
            {"menu_item_id": world["items"][1]["id"], "quantity": 1},
        ],
    }
    key = uuid.uuid4().hex

    order = actors.ok("POST", "/customers/me/orders", headers={**cleo, "Idempotency-Key": key}, json=body, expect=201)
    retry = actors.call("POST", "/customers/me/orders", headers={**cleo, "Idempotency-Key": key}, json=body)

    assert order["total_cents"] == 2 * 1250 + 800  # the menu's prices, not the client's
    assert order["status"] == "placed"
    assert retry.status_code == 201
    assert retry.json()["id"] == order["id"]

    events: list = []
    opened = threading.Event()
    follower = threading.Thread(target=_follow, args=(actors, order["id"], cleo, events, opened), daemon=True)
    follower.start()
    assert opened.wait(10)

    assert actors.ok("PATCH", "/couriers/me", headers=kai, json={"available": True})["active_order_id"] == order["id"]
    for status in ("accepted", "preparing", "ready"):
        actors.ok(
            "POST", f"/restaurants/{restaurant_id}/orders/{order['id']}/status", headers=chef, json={"status": status}
        )
    delivery = actors.ok("GET", "/deliveries", headers=kai)["results"][0]
    for status in ("picked_up", "delivered"):
        actors.ok("POST", f"/deliveries/{delivery['id']}/status", headers=kai, json={"status": status})
    follower.join(15)

    assert not follower.is_alive(), "the stream should end after delivery"
    statuses = [e["status"] for e in events]
    assert statuses[0] == "placed"
    assert statuses[-4:] == ["preparing", "ready", "picked_up", "delivered"]
    assert "accepted" in statuses
    assert events[-1]["courier_id"] == courier_id
    final = actors.ok("GET", f"/orders/{order['id']}", headers=cleo)
    assert final["status"] == "delivered"
    assert [h["status"] for h in final["history"]] == DELIVERED_HISTORY
    history = actors.ok("GET", "/customers/me/orders", headers=cleo)
    assert [o["id"] for o in history["results"]] == [order["id"]]
    kitchen = actors.ok("GET", f"/restaurants/{restaurant_id}/orders?status=delivered", headers=chef)
    assert kitchen["count"] == 1


def test_nobody_else_reads_or_moves_the_order(actors):
    _, chef = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(chef)
    _, cleo, address_id = actors.customer_with_address()
    order = actors.place_order(cleo, world, address_id)
    _, eve = actors.user("customers", "Eve")
    _, rival = actors.user("restaurants", "Rival")
    _, kai = actors.user("couriers", "Kai")

    assert actors.call("GET", f"/orders/{order['id']}", headers=eve).status_code == 404
    assert actors.call("GET", f"/orders/{order['id']}", headers=rival).status_code == 404
    assert actors.call("GET", f"/orders/{order['id']}", headers=kai).status_code == 404
    assert actors.call("POST", f"/orders/{order['id']}/cancel", headers=eve).status_code == 404
    assert (
        actors.call(
            "POST",
            f"/restaurants/{world['restaurant']['id']}/orders/{order['id']}/status",
            headers=rival,
            json={"status": "accepted"},
        ).status_code
        == 403
    )
    assert actors.call("GET", f"/orders/{order['id']}/events", headers=eve).status_code == 404


def test_a_rejected_order_frees_its_courier_for_the_next(actors):
    _, chef = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(chef)
    _, cleo, address_id = actors.customer_with_address()
    _, kai = actors.user("couriers", "Kai")
    actors.ok("PATCH", "/couriers/me", headers=kai, json={"available": True})

    def place():
        return actors.place_order(cleo, world, address_id)

    first = place()
    order_path = f"/orders/{first['id']}"
    assert eventually(lambda: actors.ok("GET", "/couriers/me", headers=kai)["active_order_id"] == first["id"]), (
        f"Kai: {actors.ok('GET', '/couriers/me', headers=kai)}; the order: {actors.ok('GET', order_path, headers=cleo)}"
    )
    second = place()
    assert actors.ok("GET", f"/orders/{second['id']}", headers=cleo)["courier_id"] is None

    actors.ok(
        "POST",
        f"/restaurants/{world['restaurant']['id']}/orders/{first['id']}/status",
        headers=chef,
        json={"status": "rejected"},
    )

    # Usually already so when the rejection answers; the answer never waits for a slow delivery
    # service longer than RELEASE_WAIT_S, and the release then lands a moment later.
    assert eventually(lambda: actors.ok("GET", "/couriers/me", headers=kai)["active_order_id"] == second["id"]), (
        f"Kai: {actors.ok('GET', '/couriers/me', headers=kai)}"
    )


def test_the_dashboard_only_queries_metrics_the_platform_exports(live_platform):
    import re
    from pathlib import Path

    dashboard = Path(__file__).resolve().parents[3] / "helm" / "food-delivery" / "dashboards" / "platform.json"
    exprs = re.findall(r'"expr": "(.*?)",', dashboard.read_text())
    wanted = {
        re.sub(r"_(bucket|count|sum|total)$", "", name)
        for expr in exprs
        for name in re.findall(r"([a-z_]+)(?:\{|\[)", expr)
        if name not in {"rate", "sum", "max", "by", "histogram_quantile"}
    }
    exported = set()
    for service in ("gateway", "auth", "customer", "restaurant", "order", "delivery"):
        text = requests.get(f"{live_platform.url(service)}/metrics", timeout=10).text
        exported |= {re.sub(r"_total$", "", m) for m in re.findall(r"^# TYPE (\S+)", text, flags=re.MULTILINE)}

    assert wanted
    assert wanted <= exported, sorted(wanted - exported)


def test_business_metrics_move_with_the_workflow(live_platform):
    def scrape(service):
        return requests.get(f"{live_platform.url(service)}/metrics", timeout=10).text

    order_metrics, delivery_metrics = scrape("order"), scrape("delivery")

    # The doorstep test above placed and delivered orders on this platform.
    assert re.search(r"^orders_placed_total [1-9]", order_metrics, flags=re.MULTILINE)
    assert re.search(r'^order_transitions_total\{to="delivered"\} [1-9]', order_metrics, flags=re.MULTILINE)
    assert re.search(r"^courier_assignments_total [1-9]", delivery_metrics, flags=re.MULTILINE)
    assert "restaurant_cache_requests_total" in scrape("restaurant")
