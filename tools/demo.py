#!/usr/bin/env python3
"""`make demo`: demo data and a little life on a running platform, for people trying it in a browser.

    python tools/demo.py [--gateway http://127.0.0.1:8000] [--cycles N] [--no-simulator]

Creates, through the public API only and idempotently (running it again finds what exists):
three restaurants in Amsterdam with menus and opening hours, their owner, three couriers online
near them, and a demo customer with an address; prints the sign-ins. Then a simulator places an
order every few seconds and moves it through the kitchen and the courier's trip (with positions),
so the live pages have something to show (each order's tracking page, the kitchens' boards, the
couriers' task pages), until Ctrl-C (or N cycles). Never run by default.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import uuid

import requests

PASSWORD = "demo-password-1"
CUSTOMER = ("demo.customer@example.com", "Dana Demo")
OWNER = ("demo.restaurant@example.com", "Rui Restaurant")
COURIERS = [
    ("demo.courier1@example.com", "Cas Courier"),
    ("demo.courier2@example.com", "Kim Courier"),
    ("demo.courier3@example.com", "Lou Courier"),
]
ALL_WEEK = [{"day": d, "open": "00:00", "close": "24:00"} for d in range(7)]
RESTAURANTS = [
    {
        "name": "Demo Pho Palace",
        "cuisine": "vietnamese",
        "lat": 52.3731,
        "lng": 4.8922,
        "menu": [("Pho bo", 1250), ("Banh mi", 800), ("Spring rolls", 650)],
    },
    {
        "name": "Demo Pizza Forno",
        "cuisine": "italian",
        "lat": 52.3667,
        "lng": 4.8945,
        "menu": [("Margherita", 1100), ("Diavola", 1300), ("Tiramisu", 600)],
    },
    {
        "name": "Demo Curry House",
        "cuisine": "indian",
        "lat": 52.3600,
        "lng": 4.8850,
        "menu": [("Butter chicken", 1450), ("Dal tadka", 950), ("Garlic naan", 350)],
    },
]
HOME = {
    "label": "Home",
    "line1": "Prinsengracht 263",
    "city": "Amsterdam",
    "postcode": "1016 GV",
    "lat": 52.3752,
    "lng": 4.8840,
}


class Client:
    def __init__(self, gateway: str):
        self.gateway = gateway.rstrip("/")
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.gateway + path, headers=headers, timeout=15, **kwargs)

    def ok(self, method: str, path: str, token: str | None = None, expect=(200, 201, 204), **kwargs):
        response = self.call(method, path, token, **kwargs)
        if response.status_code not in ((expect,) if isinstance(expect, int) else expect):
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}

    def first_event(self, path: str, token: str, wanted, timeout_s: float = 15.0) -> dict | None:
        """The first event of a live stream that `wanted(event)` accepts, within `timeout_s`; the
        stream is closed afterwards. Events are `{id, event, data}`."""
        deadline = time.monotonic() + timeout_s
        headers = {"Authorization": f"Bearer {token}"}
        with self.http.get(self.gateway + path, headers=headers, stream=True, timeout=(5, timeout_s)) as response:
            if response.status_code != 200:
                raise SystemExit(f"GET {path}: {response.status_code} {response.text[:300]}")
            fields: dict[str, str] = {}
            for line in response.iter_lines(decode_unicode=True):
                if time.monotonic() > deadline:
                    return None
                if line:
                    if not line.startswith(":"):
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
                    continue
                if "data" in fields:
                    event = {"id": fields.get("id"), "event": fields.get("event"), "data": json.loads(fields["data"])}
                    if wanted(event):
                        return event
                fields = {}
        return None

    def account(self, kind: str, email: str, name: str) -> dict:
        """Registers the account unless it exists; signs in either way."""
        registered = self.call("POST", f"/{kind}/register", json={"email": email, "password": PASSWORD, "name": name})
        if registered.status_code not in (201, 409):
            raise SystemExit(f"register {email}: {registered.status_code} {registered.text[:300]}")
        tokens = self.ok("POST", f"/{kind}/login", json={"email": email, "password": PASSWORD})
        return {"email": email, **tokens}


def seed(client: Client) -> dict:
    owner = client.account("restaurants", *OWNER)
    mine = {r["name"]: r for r in _all(client, "/restaurants?q=Demo") if r["owner_id"] == _sub(owner)}
    restaurants = []
    for spec in RESTAURANTS:
        restaurant = mine.get(spec["name"]) or client.ok(
            "POST",
            "/restaurants",
            owner["access"],
            json={
                "name": spec["name"],
                "cuisine": spec["cuisine"],
                "opening_hours": ALL_WEEK,
                "address": {
                    "line1": "Demo street 1",
                    "city": "Amsterdam",
                    "postcode": "1012",
                    "lat": spec["lat"],
                    "lng": spec["lng"],
                },
            },
        )
        menu = {i["name"]: i for i in client.ok("GET", f"/restaurants/{restaurant['id']}/menu")["items"]}
        for dish, price in spec["menu"]:
            if dish not in menu:
                menu[dish] = client.ok(
                    "POST",
                    f"/restaurants/{restaurant['id']}/menu/items",
                    owner["access"],
                    json={"name": dish, "price_cents": price, "description": f"Our {dish.lower()}"},
                )
        restaurants.append({**restaurant, "menu": list(menu.values()), "lat": spec["lat"], "lng": spec["lng"]})
    customer = client.account("customers", *CUSTOMER)
    addresses = client.ok("GET", "/customers/me/addresses", customer["access"])["results"]
    address = next((a for a in addresses if a["label"] == HOME["label"]), None) or client.ok(
        "POST", "/customers/me/addresses", customer["access"], json=HOME
    )
    client.ok(
        "PATCH", "/customers/me", customer["access"], json={"preferences": {"cuisines": ["vietnamese", "italian"]}}
    )
    couriers = []
    for n, (email, name) in enumerate(COURIERS):
        courier = client.account("couriers", email, name)
        spot = restaurants[n % len(restaurants)]
        client.ok(
            "POST", "/couriers/me/location", courier["access"], json={"lat": spot["lat"] + 0.002, "lng": spot["lng"]}
        )
        client.ok("PATCH", "/couriers/me", courier["access"], json={"available": True, "vehicle": "bicycle"})
        couriers.append(courier)
    return {"owner": owner, "restaurants": restaurants, "customer": customer, "address": address, "couriers": couriers}


def _all(client: Client, path: str) -> list[dict]:
    results, url = [], path
    while url:
        page = client.ok("GET", url)
        results += page["results"]
        url = page["next"] and page["next"].replace(client.gateway, "")
    return results


def _sub(tokens: dict) -> str:
    import base64

    payload = tokens["access"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def simulate_one(client: Client, world: dict, n: int, pause_s: float) -> str:
    """One order from placement to the door, with the courier's positions on the way."""
    restaurant = world["restaurants"][n % len(world["restaurants"])]
    order = client.ok(
        "POST",
        "/customers/me/orders",
        world["customer"]["access"],
        headers={"Idempotency-Key": uuid.uuid4().hex},
        json={
            "restaurant_id": restaurant["id"],
            "address_id": world["address"]["id"],
            "items": [{"menu_item_id": restaurant["menu"][0]["id"], "quantity": 1 + n % 2}],
        },
    )
    print(
        f"  order {order['id']} at {restaurant['name']}: watch it at {client.gateway}/orders/{order['id']}/track",
        flush=True,
    )
    for status in ("accepted", "preparing", "ready"):
        time.sleep(pause_s)
        client.ok(
            "POST",
            f"/restaurants/{restaurant['id']}/orders/{order['id']}/status",
            world["owner"]["access"],
            json={"status": status},
        )
    courier, delivery = _courier_of(client, world, order["id"])
    if courier is None:
        print("  no courier took it (all busy?); it waits", flush=True)
        return order["id"]
    _ride(
        client, courier, (restaurant["lat"] + 0.002, restaurant["lng"]), (restaurant["lat"], restaurant["lng"]), pause_s
    )
    client.ok("POST", f"/deliveries/{delivery['id']}/status", courier["access"], json={"status": "picked_up"})
    _ride(client, courier, (restaurant["lat"], restaurant["lng"]), (HOME["lat"], HOME["lng"]), pause_s)
    client.ok("POST", f"/deliveries/{delivery['id']}/status", courier["access"], json={"status": "delivered"})
    return order["id"]


def _courier_of(client: Client, world: dict, order_id: str) -> tuple[dict | None, dict | None]:
    """The order's courier and their delivery, as the customer's stream and the courier's feed tell
    them (nobody asks again and again)."""
    status = client.first_event(
        f"/orders/{order_id}/events", world["customer"]["access"], lambda e: bool(e["data"].get("courier_id"))
    )
    courier = status and next((c for c in world["couriers"] if _sub(c) == status["data"]["courier_id"]), None)
    if courier is None:
        return None, None
    snapshot = client.first_event("/couriers/me/events", courier["access"], lambda e: e["event"] == "snapshot")
    # A courier may carry two orders on one route: the one asked about is among their deliveries.
    data = snapshot["data"] if snapshot else {}
    deliveries = data.get("deliveries") or [data.get("delivery")]
    delivery = next((d for d in deliveries if d and d["order_id"] == order_id), None)
    return (courier, delivery) if delivery else (None, None)


def _ride(client: Client, courier: dict, start: tuple, end: tuple, pause_s: float, steps: int = 4) -> None:
    for step in range(1, steps + 1):
        f = step / steps
        lat, lng = start[0] + (end[0] - start[0]) * f, start[1] + (end[1] - start[1]) * f
        client.ok("POST", "/couriers/me/location", courier["access"], json={"lat": lat, "lng": lng})
        time.sleep(pause_s / 2 if not math.isclose(f, 1.0) else 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--cycles", type=int, default=0, help="orders to simulate (0: until Ctrl-C)")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between steps of an order")
    parser.add_argument("--no-simulator", action="store_true")
    args = parser.parse_args()
    client = Client(args.gateway)
    try:
        client.ok("GET", "/healthz")
    except requests.RequestException:
        raise SystemExit(
            f"no platform at {args.gateway}: start it with `make run` (in another terminal) first"
        ) from None
    world = seed(client)
    print(f"\nDemo data ready at {args.gateway} (password for every demo account: {PASSWORD})")
    print(f"  sign in at {args.gateway}/api-auth/login/ as")
    print(f"    customer         {CUSTOMER[0]}")
    print(f"    restaurant user  {OWNER[0]}")
    for email, _name in COURIERS:
        print(f"    courier          {email}")
    print(f"  restaurants: {', '.join(r['name'] for r in world['restaurants'])}")
    print(f"\nOrder a meal in the shop (as the customer, or create an account there): {args.gateway}/shop/")
    print("Run a kitchen (as the restaurant user): its back office (menu, sold out, pause) and its board")
    for restaurant in world["restaurants"]:
        print(f"  {restaurant['name']:<18} {args.gateway}/restaurants/{restaurant['id']}/manage")
    print("\nWatch an order go from the kitchen to the door, live (sign in first, as above):")
    for restaurant in world["restaurants"]:
        print(f"  kitchen board of {restaurant['name']:<18} {args.gateway}/restaurants/{restaurant['id']}/board")
    print(f"  a courier's task page               {args.gateway}/couriers/me/app")
    print(f"  the customer's orders               {args.gateway}/shop/orders (and the link printed with each below)")
    if args.no_simulator:
        return 0
    print("\nSimulating orders (Ctrl-C stops):", flush=True)
    n = 0
    try:
        while not args.cycles or n < args.cycles:
            simulate_one(client, world, n, args.pause)
            n += 1
    except KeyboardInterrupt:
        print("\nstopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
