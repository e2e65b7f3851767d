"""A small city on the live platform for the OWASP API Security Top 10 suite: two users of every
kind, each with their own objects, so every test can try one user's hands on another's things."""

import random
import time
import uuid

import pytest
import requests

from common.testing.live import ADDRESS


class City:
    def __init__(self, actors):
        self.actors = actors
        self.gateway = actors.gateway
        # A place of its own on the map: no other test's waiting order is in this courier's reach.
        point = {"lat": round(random.uniform(-50, 50), 5), "lng": round(random.uniform(-170, 170), 5)}
        self.address = {**ADDRESS, **point}
        self.customers, self.owners, self.couriers = [], [], []
        for n in range(2):
            customer_id, headers = actors.user("customers", f"Cleo{n}")
            address = actors.ok(
                "POST", "/customers/me/addresses", headers=headers, expect=201, json={"label": "Home", **self.address}
            )
            self.customers.append({"id": customer_id, "headers": headers, "address_id": address["id"]})
            owner_id, owner_headers = actors.user("restaurants", f"Chef{n}")
            world = actors.restaurant_with_menu(owner_headers, address=self.address)
            self.owners.append({"id": owner_id, "headers": owner_headers, **world})
            courier_id, courier_headers = actors.user("couriers", f"Kai{n}")
            self.couriers.append({"id": courier_id, "headers": courier_headers})
        # Customer 0 orders from restaurant 0; courier 0, right there, goes online and takes it.
        self.order = self.place(self.customers[0], self.owners[0])
        actors.ok("POST", "/couriers/me/location", headers=self.couriers[0]["headers"], expect=204, json=point)
        actors.ok("PATCH", "/couriers/me", headers=self.couriers[0]["headers"], json={"available": True})
        for _ in range(50):
            delivery = actors.ok("GET", "/deliveries", headers=self.couriers[0]["headers"])["results"]
            if delivery:
                break
            time.sleep(0.2)
        assert delivery, "no courier took the order"
        assert delivery[0]["order_id"] == self.order["id"], delivery
        self.delivery = delivery[0]
        actors.ok("PATCH", "/couriers/me", headers=self.couriers[0]["headers"], json={"available": False})

    def place(self, customer, owner, **extra) -> dict:
        return self.actors.ok(
            "POST",
            "/customers/me/orders",
            expect=201,
            headers={**customer["headers"], "Idempotency-Key": uuid.uuid4().hex},
            json={
                "restaurant_id": owner["restaurant"]["id"],
                "address_id": customer["address_id"],
                "items": [{"menu_item_id": owner["items"][0]["id"], "quantity": 1}],
                **extra,
            },
        )

    def call(self, method, path, headers=None, **kwargs) -> requests.Response:
        return self.actors.call(method, path, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def city(actors):
    return City(actors)
