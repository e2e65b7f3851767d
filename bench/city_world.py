"""The city the load runs in: restaurants and customers made through the public API, and the
thousands of watched orders stored straight into the order service's database for customers whose
tokens are minted here (registering thousands would take longer than the measurement)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from datetime import UTC, datetime

import aiohttp
import jwt
from city_clients import request
from placement import ADDRESS, call, new_user
from tokens import Minter

CENTRE = (52.37, 4.89)


def store_watched_orders(stack, template_id: str, restaurants: list[dict], count: int) -> list[dict]:
    """`count` placed orders copied from a real one (its stored shape), each for a customer of its
    own, spread over `restaurants` ({id, owner_id}); not dispatched (`dispatch: closed`): they are
    here to be watched and moved by their kitchens. Returns [{id, customer_id, restaurant_id}]."""
    from bson import ObjectId
    from pymongo import MongoClient

    client = MongoClient(stack.mongo_url)
    orders = client[f"{stack.db_prefix}orders"]["orders"]
    template = orders.find_one({"_id": ObjectId(template_id)})
    now = datetime.now(UTC)
    documents, watched = [], []
    for n in range(count):
        restaurant = restaurants[n % len(restaurants)]
        customer_id = str(ObjectId())
        document = {
            **template,
            "_id": ObjectId(),
            "customer_id": customer_id,
            "restaurant_id": restaurant["id"],
            "restaurant_owner_id": restaurant["owner_id"],
            "dispatch": "closed",
            "history": [{"status": "placed", "at": now, "actor_type": "customer", "actor_id": customer_id}],
            "idempotency_key": f"city-{uuid.uuid4().hex}",
            "created_at": now,
            "updated_at": now,
        }
        documents.append(document)
        watched.append({"id": str(document["_id"]), "customer_id": customer_id, "restaurant_id": restaurant["id"]})
    for first in range(0, len(documents), 2000):
        orders.insert_many(documents[first : first + 2000], ordered=False)
    client.close()
    return watched


def store_couriers(stack, count: int, *, available: bool = True) -> list[str]:
    """`count` couriers as the delivery service stores them after their first visit (a courier's
    first request asks the auth service for the account, which tokens minted here have none of)."""
    from bson import ObjectId
    from pymongo import MongoClient

    now = datetime.now(UTC)
    ids = [str(ObjectId()) for _ in range(count)]
    client = MongoClient(stack.mongo_url)
    client[f"{stack.db_prefix}deliveries"]["couriers"].insert_many(
        [
            {
                "_id": courier_id,
                "name": f"Courier {n:04d}",
                "vehicle": "bicycle",
                "available": available,
                "duty": "on" if available else "off",  # deliveries/repository.py's marker, indexed
                "available_since": now if available else None,
                "created_at": now,
                "updated_at": now,
            }
            for n, courier_id in enumerate(ids)
        ]
    )
    client.close()
    return ids


class City:
    """A platform with restaurants, customers placing real orders, and a minter for the crowds."""

    def __init__(self, stack, session, gateway: str):
        self.stack, self.session, self.gateway = stack, session, gateway

    async def build(self, restaurants: int = 3, customers: int = 20) -> None:
        gw, s = self.gateway, self.session
        self.restaurants = []
        for n in range(restaurants):
            owner = await new_user(s, gw, "restaurants")
            lat, lng = CENTRE[0] + 0.01 * n, CENTRE[1] + 0.01 * n
            restaurant = await call(
                s,
                "POST",
                f"{gw}/restaurants",
                owner,
                {"name": f"City Kitchen {n}", "cuisine": "bench", "address": {**ADDRESS, "lat": lat, "lng": lng}},
            )
            item = await call(
                s,
                "POST",
                f"{gw}/restaurants/{restaurant['id']}/menu/items",
                owner,
                {"name": "Dish", "description": "x" * 80, "price_cents": 1200},
            )
            owner_id = jwt.decode(owner, options={"verify_signature": False})["sub"]
            self.restaurants.append({"id": restaurant["id"], "owner_id": owner_id, "token": owner, "item": item["id"]})
        self.customers = []
        for n in range(customers):
            token = await new_user(s, gw, "customers")
            address = await call(
                s, "POST", f"{gw}/customers/me/addresses", token, {**ADDRESS, "lat": CENTRE[0], "lng": CENTRE[1]}
            )
            restaurant = self.restaurants[n % len(self.restaurants)]
            body = {
                "restaurant_id": restaurant["id"],
                "address_id": address["id"],
                "items": [{"menu_item_id": restaurant["item"], "quantity": 1}],
            }
            self.customers.append((token, body))
        token, body = self.customers[0]
        template = await call(
            s, "POST", f"{gw}/customers/me/orders", token, body, {"Idempotency-Key": uuid.uuid4().hex}
        )
        self.minter = Minter(self.stack.data_dir / "secrets" / "jwt-private.pem", token)
        self.template_id = template["id"]
        self.owner_of = {r["id"]: r["token"] for r in self.restaurants}

    def fleet(self, count: int) -> list[str]:
        """Access tokens of `count` couriers stored off duty (they go on duty through the API)."""
        return [
            self.minter.token(courier_id, "courier")
            for courier_id in store_couriers(self.stack, count, available=False)
        ]

    def deliveries(self) -> int:
        """Deliveries stored so far: the city's placements that dispatch gave a courier."""
        from pymongo import MongoClient

        client = MongoClient(self.stack.mongo_url)
        try:
            return client[f"{self.stack.db_prefix}deliveries"]["deliveries"].estimated_document_count()
        finally:
            client.close()

    def watched(self, count: int) -> list[dict]:
        orders = store_watched_orders(self.stack, self.template_id, self.restaurants, count)
        for order in orders:
            order["token"] = self.minter.token(order["customer_id"], "customer")
        return orders

    async def place(self, token: str, body: dict) -> dict:
        """An order placed as a client would, retried with the same Idempotency-Key while the platform
        answers 503/504 (busy: say, closing the previous measurement's thousands of streams)."""
        key = uuid.uuid4().hex
        for _attempt in range(30):
            status, text = await request(
                self.session, "POST", f"{self.gateway}/customers/me/orders", token, body, {"Idempotency-Key": key}
            )
            if status < 500:
                return json.loads(text)
            await asyncio.sleep(2)
        raise SystemExit(f"placing an order: still {status} after a minute: {text}")

    async def settle(self, token: str) -> float:
        """Seconds until the platform answers an ordinary read within a second again (after a phase
        that leaves it busy); measured, so the next phase starts on a quiet platform."""
        started = time.monotonic()
        while time.monotonic() - started < 120:
            tick = time.monotonic()
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                status, _ = await request(self.session, "GET", f"{self.gateway}/orders/{self.template_id}", token)
                if status == 200 and time.monotonic() - tick < 1.0:
                    break
            await asyncio.sleep(1)
        return round(time.monotonic() - started, 1)

    async def accept(self, order: dict) -> tuple[int, float]:
        started = time.perf_counter()
        status, _ = await request(
            self.session,
            "POST",
            f"{self.gateway}/restaurants/{order['restaurant_id']}/orders/{order['id']}/status",
            self.owner_of[order["restaurant_id"]],
            {"status": "accepted"},
        )
        return status, (time.perf_counter() - started) * 1000
