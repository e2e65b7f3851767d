"""The operators' console stream `GET /operator/events` through the gateway, on the live platform: the
city's snapshot, then orders and couriers as they change (the delivery service's courier events and
the order service's order events on one stream), positions at most once per courier per second,
resuming with Last-Event-ID, and every refusal."""

from __future__ import annotations

import threading
import time

import requests

from common.testing.sse import events_of_lines

PATH = "/operator/events"


class Console:
    """An open console stream read on a thread, so a test can act and then wait for what it sees."""

    def __init__(self, actors, headers, last_event_id=None):
        headers = {**headers, **({"Last-Event-ID": last_event_id} if last_event_id else {})}
        self.response = requests.get(actors.gateway + PATH, headers=headers, stream=True, timeout=15)
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.events: list[dict] = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for event in events_of_lines(self.response.iter_lines(decode_unicode=True)):
                with self.lock:
                    self.events.append(event)
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by the test

    def until(self, predicate, timeout_s: float = 20.0) -> dict:
        """The first event (from the start) that `predicate` accepts, waiting for it."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                found = next((e for e in self.events if predicate(e)), None)
            if found is not None:
                return found
            assert time.monotonic() < deadline, f"no such event among {[e['event'] for e in self.events]}"
            time.sleep(0.05)

    def all(self, predicate) -> list[dict]:
        with self.lock:
            return [e for e in self.events if predicate(e)]

    def close(self) -> None:
        self.response.close()


def _courier(courier_id, **want):
    def matches(event):
        data = event["data"]
        return (
            event["event"] == "courier"
            and data["id"] == courier_id
            and all(
                want_value(data.get(k)) if callable(want_value) else data.get(k) == want_value
                for k, want_value in want.items()
            )
        )

    return matches


def _order(order_id, **want):
    def matches(event):
        data = event["data"]
        return event["event"] == "order" and data["id"] == order_id and all(data.get(k) == v for k, v in want.items())

    return matches


def test_the_console_stream_refuses_everyone_but_operators(actors):
    assert actors.call("GET", PATH).status_code == 401
    assert actors.call("GET", PATH, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    for kind in ("customers", "restaurants", "couriers"):
        _, headers = actors.user(kind)
        refused = actors.call("GET", PATH, headers=headers)
        assert refused.status_code == 403, kind
        assert refused.json()["error"]["code"] == "permission_denied"


def test_the_console_shows_the_city_then_couriers_and_orders_as_they_change(actors, city):
    _, operator = actors.operator()
    ann_id, ann = actors.user("couriers", "Ann")
    bo_id, bo = actors.user("couriers", "Bo")
    for courier in (ann, bo):  # their first visit makes them couriers of the delivery service
        actors.ok("PATCH", "/couriers/me", headers=courier, json={"available": False})
    order = actors.place_order(city["customer"], city["world"], city["address_id"])
    console = Console(actors, operator)
    try:
        snapshot = console.until(lambda e: e["event"] == "snapshot")
        actors.ok("PATCH", "/couriers/me", headers=ann, json={"available": True})
        on_duty = console.until(_courier(ann_id, available=True))
        actors.ok("POST", "/couriers/me/location", headers=ann, json={"lat": 52.371, "lng": 4.891}, expect=204)
        moved = console.until(_courier(ann_id, location=lambda at: bool(at) and at["lat"] == 52.371))
        given = console.until(_order(order["id"], courier_id=ann_id))  # dispatch gives it to Ann
        actors.ok("PATCH", "/couriers/me", headers=bo, json={"available": True})
        actors.ok(
            "POST",
            f"/operator/orders/{order['id']}/assign",
            headers=operator,
            json={"courier_id": bo_id, "reason": "Ann's bike broke down."},
        )
        reassigned = console.until(_order(order["id"], courier_id=bo_id))
        bo_busy = console.until(_courier(bo_id, orders=[order["id"]]))
        ann_free = console.until(_courier(ann_id, orders=[], available=True))
    finally:
        console.close()

    assert snapshot["id"]
    assert set(snapshot["data"]) == {"orders", "couriers"}
    shown = {o["id"]: o for o in snapshot["data"]["orders"]}
    assert shown[order["id"]]["status"] == "placed"
    assert shown[order["id"]]["attention"] == []
    assert {ann_id, bo_id} <= {c["id"] for c in snapshot["data"]["couriers"]}
    assert on_duty["data"]["name"] == "Ann"
    assert moved["data"]["state"] in ("free", "busy")  # heard of just now: not silent
    assert given["data"]["status"] == "placed"
    assert reassigned["data"]["courier_id"] == bo_id
    assert bo_busy["data"]["state"] in ("busy", "silent")  # Bo has sent no position
    assert len(bo_busy["data"]["deliveries"]) == 1
    assert ann_free["data"]["deliveries"] == []


def test_positions_reach_the_console_at_most_once_per_courier_per_second(actors):
    _, operator = actors.operator()
    kai_id, kai = actors.user("couriers", "Kai")
    actors.ok("PATCH", "/couriers/me", headers=kai, json={"available": False})
    console = Console(actors, operator)
    try:
        console.until(lambda e: e["event"] == "snapshot")
        started = time.monotonic()
        for n in range(12):
            point = {"lat": 52.30 + n / 1000, "lng": 4.80}
            actors.ok("POST", "/couriers/me/location", headers=kai, json=point, expect=204)
        span_s = time.monotonic() - started
        # Then a position elsewhere until one shows: the stream is in order, so every event of the
        # burst came before it.
        marker = _courier(kai_id, location=lambda at: bool(at) and at["lng"] == 4.9)
        while not console.all(marker):
            actors.ok("POST", "/couriers/me/location", headers=kai, json={"lat": 52.3, "lng": 4.9}, expect=204)
            console.until(lambda e: True, timeout_s=20)
            time.sleep(0.2)  # the next report, not a wait for the stream
        shown = console.all(_courier(kai_id, location=lambda at: bool(at) and at["lng"] == 4.80))
    finally:
        console.close()

    assert 1 <= len(shown) <= int(span_s) + 2, (len(shown), span_s)
    assert shown[0]["data"]["id"] == kai_id


def test_a_console_resumes_with_last_event_id_through_the_gateway(actors, city):
    _, operator = actors.operator()
    order = actors.place_order(city["customer"], city["world"], city["address_id"])
    restaurant = city["world"]["restaurant"]["id"]
    console = Console(actors, operator)
    try:
        seen = console.until(lambda e: e["event"] == "snapshot")
    finally:
        console.close()
    actors.ok(
        "POST",
        f"/restaurants/{restaurant}/orders/{order['id']}/status",
        headers=city["chef"],
        json={"status": "accepted"},
    )
    again = Console(actors, operator, last_event_id=seen["id"])
    try:
        missed = again.until(_order(order["id"], status="accepted"))
    finally:
        again.close()
    fresh = Console(actors, operator, last_event_id="1-1")
    try:
        restarted = fresh.until(lambda e: True)
    finally:
        fresh.close()

    assert not again.all(lambda e: e["event"] == "snapshot")  # resumed: what it missed, no snapshot
    assert missed["id"] != seen["id"]
    assert restarted["event"] == "snapshot"
    assert {o["id"]: o["status"] for o in restarted["data"]["orders"]}[order["id"]] == "accepted"
