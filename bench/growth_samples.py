"""The growth load's sample accounts (bench/growth_load.py): one customer, one restaurant owner with
their restaurant and menu, one courier, made through the gateway like any client's, so their
documents are the services' own; `templates` reads those documents back for every loaded copy.
`target` is a growth_load.Target."""

from __future__ import annotations

from bson import ObjectId
from seeding import http

PASSWORD = "growth correct horse battery"
MENU_ITEMS = 30
CUISINES = ("pizza", "sushi", "thai", "burgers", "vegan", "indian", "mexican", "greek", "ramen", "bakery")


def _account(gateway: str, kind: str, email: str) -> dict:
    http("POST", f"{gateway}/{kind}/register", body={"email": email, "password": PASSWORD, "name": "Growth"})
    return http("POST", f"{gateway}/{kind}/login", body={"email": email, "password": PASSWORD})


def samples(target, run: str, where: tuple[float, float]) -> dict:
    """The sample restaurant (with its menu), customer (with an address it delivers to) and courier
    (available, with a position), made through the gateway."""
    gateway, (lat, lng) = target.gateway, where
    owner_email, customer_email, courier_email = (f"growth-{run}-{k}@example.com" for k in ("owner", "cust", "cour"))
    owner = _account(gateway, "restaurants", owner_email)
    restaurant = http(
        "POST",
        f"{gateway}/restaurants",
        owner["access"],
        {
            "name": f"Growth Sample {run}",
            "cuisine": CUISINES[0],
            "address": {"line1": "1 Sample St", "city": "Growth", "postcode": "1000", "lat": lat, "lng": lng},
        },
    )
    for n in range(MENU_ITEMS):
        http(
            "POST",
            f"{gateway}/restaurants/{restaurant['id']}/menu/items",
            owner["access"],
            {"name": f"Dish {n}", "description": "A dish of the growth benchmark", "price_cents": 900 + 10 * n},
        )
    customer = _account(gateway, "customers", customer_email)
    http("GET", f"{gateway}/customers/me", customer["access"])
    address = {"label": "Home", "line1": "2 Sample St", "city": "Growth", "postcode": "1001"}
    http("POST", f"{gateway}/customers/me/addresses", customer["access"], {**address, "lat": lat + 0.002, "lng": lng})
    courier = _account(gateway, "couriers", courier_email)
    http("GET", f"{gateway}/couriers/me", courier["access"])
    http("PATCH", f"{gateway}/couriers/me", courier["access"], {"available": True})
    http("POST", f"{gateway}/couriers/me/location", courier["access"], {"lat": lat + 0.001, "lng": lng})
    return {
        "customer": {"email": customer_email, "password": PASSWORD},
        "restaurant": {"email": owner_email, "password": PASSWORD, "restaurant_id": restaurant["id"]},
        "courier": {"email": courier_email, "password": PASSWORD},
    }


def templates(target, accounts: dict) -> dict:
    """The sample accounts' documents as the services wrote them: what every loaded one copies."""
    auth = target.db("auth")["accounts"]
    found = {
        kind: auth.find_one({"user_type": kind, "email": accounts[name]["email"]})
        for name, kind in (("customer", "customer"), ("restaurant", "restaurant"), ("courier", "courier"))
    }
    restaurant_id = ObjectId(accounts["restaurant"]["restaurant_id"])
    restaurants = target.db("restaurants")
    customer_id = str(found["customer"]["_id"])
    return {
        "accounts": found,
        "restaurant": restaurants["restaurants"].find_one({"_id": restaurant_id}),
        "menu": list(restaurants["menu_items"].find({"restaurant_id": restaurant_id}).sort("_id", 1)),
        # Its open slots, beside it (restaurants/repository.py: SLOTS).
        "slots": restaurants["restaurant_slots"].find_one({"_id": restaurant_id}),
        "profile": target.db("customers")["profiles"].find_one({"_id": customer_id}),
        "address": target.db("customers")["addresses"].find_one({"customer_id": customer_id}),
        "courier": target.db("deliveries")["couriers"].find_one({"_id": str(found["courier"]["_id"])}),
    }
