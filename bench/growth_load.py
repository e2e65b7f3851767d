"""Bulk data for the growth benchmark (bench/growth.py load): a city's second year straight into a
running platform's store, in minutes.

The sample accounts (one customer, one restaurant owner with their restaurant and a 30-item menu,
one courier) are made through the gateway like any client's, so their documents are the services'
own; every other document is a copy of those, written with insert_many in big unordered batches
(FerretDB on PostgreSQL inserts about 4,000 order documents a second on two shared cores; one
document at a time it is ten times slower). Loaded data:

- restaurants (each with an owner account and MENU_ITEMS items), spread over a city whose area grows
  with their number (the density of restaurants and couriers stays that of a city, so a customer's
  neighbourhood has as many restaurants whatever the city's size);
- customers (account, profile, one address near a restaurant), each with `history` past orders;
- couriers (account and courier, off duty, with a last position), positions in Redis's read models;
- orders, delivered, with their deliveries, round robin over restaurants and couriers, placed over
  the past weeks (more than a day ago: none counts as "finished lately" for the operators).

Read models refreshed: the restaurants' geo index and radii, the popular list's version, the
couriers' positions, index, last-seen times and vehicles. Every run adds: new accounts, restaurants,
customers and couriers (their emails carry the run's id); orders of a run go to that run's
customers and restaurants (to the platform's existing ones when the run adds none).
"""

from __future__ import annotations

import json
import math
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from growth_samples import CUISINES, samples, templates
from pymongo import MongoClient, UpdateOne
from seeding import http

BATCH = 5000
# The sample courier delivered the load's first orders, a full page of `GET /deliveries` (its default
# page size) at every size: the page the benchmark times holds as many deliveries whatever the data.
SAMPLE_COURIER_DELIVERIES = 20
# The city's centre and how many restaurants share a square kilometre.
CENTRE = (52.37, 4.89)
RESTAURANTS_PER_KM2 = 4.0
KM_PER_DEGREE = 111.0


class Target:
    """Where the running platform is: its gateway, store, Redis and their prefixes."""

    def __init__(self, *, gateway: str, mongo_url: str, redis_url: str, db_prefix: str = "", redis_prefix: str = ""):
        self.gateway = gateway.rstrip("/")
        self.client = MongoClient(mongo_url, tz_aware=True)
        self.db_prefix = db_prefix
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix if redis_prefix else (f"{db_prefix}fd:" if db_prefix else "fd:")

    def db(self, name: str):
        return self.client[f"{self.db_prefix}{name}"]

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url, decode_responses=True)

    def key(self, *parts: str) -> str:
        return self.redis_prefix + ":".join(parts)


def _insert(collection, documents: list[dict], stats: dict, name: str) -> None:
    started = time.monotonic()
    for first in range(0, len(documents), BATCH):
        collection.insert_many(documents[first : first + BATCH], ordered=False, bypass_document_validation=True)
    stats[name] = stats.get(name, 0) + len(documents)
    stats.setdefault("seconds", {})[name] = round(stats.get("seconds", {}).get(name, 0) + time.monotonic() - started, 1)


def _point(rng: random.Random, side_km: float) -> tuple[float, float]:
    """A point in the square city of `side_km` around CENTRE."""
    dlat = (rng.random() - 0.5) * side_km / KM_PER_DEGREE
    dlng = (rng.random() - 0.5) * side_km / (KM_PER_DEGREE * math.cos(math.radians(CENTRE[0])))
    return round(CENTRE[0] + dlat, 6), round(CENTRE[1] + dlng, 6)


def city_side_km(restaurants: int) -> float:
    return math.sqrt(max(restaurants, 100) / RESTAURANTS_PER_KM2)


def _copy(template: dict, **changes) -> dict:
    return {**template, **changes}


# --- restaurants, customers, couriers ---------------------------------------------------------------


def load_restaurants(target: Target, t: dict, *, count: int, run: str, rng, side_km: float, stats: dict) -> list:
    """`count` restaurants (the sample first) with owners and menus: [(id, owner id, name, address, items)]."""
    sample = t["restaurant"]
    menu = [(item["_id"], item["name"], item["price_cents"]) for item in t["menu"]]
    placed = [(str(sample["_id"]), sample["owner_id"], sample["name"], sample["address"], menu)]
    owners, restaurants, items, slots = [], [], [], []
    now = datetime.now(UTC)
    for n in range(1, count):
        owner_id = ObjectId()
        owners.append(_copy(t["accounts"]["restaurant"], _id=owner_id, email=f"growth-{run}-r{n}@example.com"))
        lat, lng = _point(rng, side_km)
        name = f"Growth {run} Kitchen {n}"
        address = {**sample["address"], "line1": f"{n} Market St", "lat": lat, "lng": lng}
        restaurant_id = ObjectId()
        restaurants.append(
            _copy(
                sample,
                _id=restaurant_id,
                owner_id=str(owner_id),
                name=name,
                name_key=name.casefold(),
                cuisine=CUISINES[n % len(CUISINES)],
                address=address,
                order_count=0,
                created_at=now,
                updated_at=now,
            )
        )
        if t["slots"] is not None:
            slots.append({**t["slots"], "_id": restaurant_id})
        own_items = []
        for item in t["menu"]:
            item_id = ObjectId()
            items.append(_copy(item, _id=item_id, restaurant_id=restaurant_id, created_at=now, updated_at=now))
            own_items.append((item_id, item["name"], item["price_cents"]))
        placed.append((str(restaurant_id), str(owner_id), name, address, own_items))
    _insert(target.db("auth")["accounts"], owners, stats, "restaurant accounts")
    _insert(target.db("restaurants")["restaurants"], restaurants, stats, "restaurants")
    _insert(target.db("restaurants")["menu_items"], items, stats, "menu items")
    _insert(target.db("restaurants")["restaurant_slots"], slots, stats, "open slots")
    return placed


def existing_restaurants(target: Target, limit: int = 100_000) -> list:
    """The platform's restaurants with coordinates and menus (orders of a run that adds no restaurants)."""
    db = target.db("restaurants")
    menus: dict = {}
    for item in db["menu_items"].find({}, {"name": 1, "price_cents": 1, "restaurant_id": 1}):
        menus.setdefault(item["restaurant_id"], []).append((item["_id"], item["name"], item["price_cents"]))
    found = db["restaurants"].find({"address.lat": {"$ne": None}}, {"owner_id": 1, "name": 1, "address": 1})
    return [
        (str(r["_id"]), r["owner_id"], r["name"], r["address"], menus[r["_id"]]) for r in found if r["_id"] in menus
    ][:limit]


def load_customers(target: Target, t: dict, *, count: int, run: str, restaurants: list, rng, stats: dict) -> list:
    """`count` customers (the sample first), each with one address near a restaurant: [(id, address)]."""
    sample_id = str(t["accounts"]["customer"]["_id"])
    address_fields = {k: v for k, v in t["address"].items() if k not in ("_id", "customer_id")}
    placed = [(sample_id, address_fields)]
    accounts, profiles, addresses = [], [], []
    now = datetime.now(UTC)
    for n in range(1, count):
        account_id = ObjectId()
        customer_id = str(account_id)
        email = f"growth-{run}-c{n}@example.com"
        accounts.append(_copy(t["accounts"]["customer"], _id=account_id, email=email))
        profiles.append(_copy(t["profile"], _id=customer_id, email=email, created_at=now, updated_at=now))
        near = restaurants[rng.randrange(len(restaurants))][3]
        address = {**address_fields, "lat": round(near["lat"] + 0.003, 6), "lng": near["lng"]}
        addresses.append({**address, "_id": ObjectId(), "customer_id": customer_id})
        placed.append((customer_id, {k: v for k, v in address.items() if k not in ("created_at", "updated_at")}))
    _insert(target.db("auth")["accounts"], accounts, stats, "customer accounts")
    _insert(target.db("customers")["profiles"], profiles, stats, "profiles")
    _insert(target.db("customers")["addresses"], addresses, stats, "addresses")
    return placed


def load_couriers(target: Target, t: dict, *, count: int, run: str, rng, side_km: float, stats: dict) -> list:
    """`count` couriers (the sample first): off duty with a last position from a day ago. [(id, vehicle)]"""
    sample = t["courier"]
    placed = [(sample["_id"], sample.get("vehicle"))]
    accounts, couriers = [], []
    day_ago = datetime.now(UTC) - timedelta(days=1)
    for n in range(1, count):
        account_id = ObjectId()
        accounts.append(_copy(t["accounts"]["courier"], _id=account_id, email=f"growth-{run}-k{n}@example.com"))
        lat, lng = _point(rng, side_km)
        couriers.append(
            _copy(
                sample,
                _id=str(account_id),
                available=False,
                duty="off",  # deliveries/repository.py writes it with `available`
                available_since=day_ago,
                created_at=day_ago,
                updated_at=day_ago,
                location={"lat": lat, "lng": lng, "at": day_ago},
            )
        )
        placed.append((str(account_id), sample.get("vehicle")))
    _insert(target.db("auth")["accounts"], accounts, stats, "courier accounts")
    _insert(target.db("deliveries")["couriers"], couriers, stats, "couriers")
    redis = target.redis()
    listing = redis.exists(target.key("couriers", "listed"))  # deliveries/courier_list.py, while it exists
    redis.delete(target.key("couriers", "listed", "on"), target.key("couriers", "listed", "off"))  # rebuilt when read
    for first in range(0, len(couriers), BATCH):
        pipe = redis.pipeline(transaction=False)
        if listing:
            pipe.zadd(target.key("couriers", "listed"), {c["_id"]: 0 for c in couriers[first : first + BATCH]})
        for courier in couriers[first : first + BATCH]:
            spot = courier["location"]
            position = json.dumps({"lat": spot["lat"], "lng": spot["lng"], "at": spot["at"].isoformat()})
            pipe.geoadd(target.key("couriers", "geo"), (spot["lng"], spot["lat"], courier["_id"]))
            pipe.zadd(target.key("couriers", "seen"), {courier["_id"]: spot["at"].timestamp()})
            pipe.hset(target.key("couriers", "positions"), courier["_id"], position)
            pipe.hset(target.key("couriers", "vehicles"), courier["_id"], courier.get("vehicle") or "")
        pipe.execute()
    return placed


def existing_couriers(target: Target, limit: int = 100_000) -> list:
    found = target.db("deliveries")["couriers"].find({}, {"vehicle": 1}).limit(limit)
    return [(c["_id"], c.get("vehicle")) for c in found]


def refresh_restaurant_read_models(target: Target, restaurants: list) -> None:
    """The restaurants' geo index and radii as restaurants/nearby.py keeps them; the popular list's
    version bumped (its cached page was counted before these orders)."""
    redis = target.redis()
    browse = target.key("restaurants", "browse")  # restaurants/browse.py: extended while it exists
    listing = redis.exists(browse)
    for first in range(0, len(restaurants), BATCH):
        pipe = redis.pipeline(transaction=False)
        for restaurant_id, _, name, address, _ in restaurants[first : first + BATCH]:
            pipe.geoadd(target.key("restaurants", "geo"), (address["lng"], address["lat"], restaurant_id))
            pipe.hset(target.key("restaurants", "radius"), restaurant_id, "")
            if listing:
                pipe.zadd(browse, {f"{name.casefold()}\x00{restaurant_id}": 0})
        pipe.execute()
    # A cuisine's list and the names' trigram index (restaurants/browse.py) are not extended here:
    # dropped (the index by its marker), rebuilt when next read.
    stale = list(redis.scan_iter(match=target.key("restaurants", "browse", "cuisine", "*"), count=1000))
    redis.delete(target.key("restaurants", "browse", "trigrams"), *stale)
    redis.incr(target.key("popular", "version"))


# --- orders and their deliveries -----------------------------------------------------------------------


def _order_and_delivery(n: int, *, customer, restaurant, courier, at: datetime, rng) -> tuple[dict, dict]:
    """A delivered order and its delivery, as the order and delivery services leave them."""
    customer_id, address = customer
    restaurant_id, owner_id, name, pickup, menu = restaurant
    courier_id, _vehicle = courier
    chosen = rng.sample(menu, k=min(len(menu), 1 + n % 3))
    items = [
        {"menu_item_id": str(item_id), "name": item_name, "unit_price_cents": price, "quantity": 1 + (n + k) % 2}
        for k, (item_id, item_name, price) in enumerate(chosen)
    ]
    subtotal = sum(item["unit_price_cents"] * item["quantity"] for item in items)
    order_id, delivery_id = ObjectId(), ObjectId()
    steps = [
        ("placed", "customer", customer_id, 0),
        ("accepted", "restaurant", owner_id, 60),
        ("preparing", "restaurant", owner_id, 120),
        ("ready", "restaurant", owner_id, 900),
        ("picked_up", "courier", courier_id, 1080),
        ("delivered", "courier", courier_id, 1800),
    ]
    history = [{"status": s, "at": at + timedelta(seconds=d), "actor_type": t, "actor_id": a} for s, t, a, d in steps]
    delivered_at = history[-1]["at"]
    pickup_address = {k: pickup[k] for k in ("line1", "city", "postcode", "lat", "lng") if k in pickup}
    order = {
        "_id": order_id,
        "customer_id": customer_id,
        "restaurant_id": restaurant_id,
        "restaurant_owner_id": owner_id,
        "restaurant_name": name,
        "pickup_address": pickup_address,
        "items": items,
        "subtotal_cents": subtotal,
        "delivery_fee_cents": 0,
        "total_cents": subtotal,
        "delivery_address": address,
        "prep_time_min": 15,
        "status": "delivered",
        "courier_id": courier_id,
        "delivery_id": str(delivery_id),
        "dispatch": "closed",
        "history": history,
        "created_at": at,
        "updated_at": delivered_at,
        "estimated_ready_at": at + timedelta(minutes=16),
        "estimated_delivery_at": delivered_at,
        "promised_delivery_at": at + timedelta(minutes=35),
        "idempotency_key": uuid.UUID(int=rng.getrandbits(128)).hex,
        "request_hash": f"{rng.getrandbits(256):064x}",
        "version": 7,
        "kitchen_ready_at": at + timedelta(minutes=16),
        "assigned_at": at + timedelta(seconds=90),
        "courier_eta": {"leg": "dropoff", "at": delivered_at, "courier_id": courier_id},
        "courier_speed_kmh": 15.0,
        "closed_at": delivered_at,
        "closed_hour": delivered_at.strftime("%Y-%m-%dT%H"),
        "delivered_at": delivered_at,
    }
    delivery = {
        "_id": delivery_id,
        "order_id": str(order_id),
        "courier_id": courier_id,
        "status": "delivered",
        "pickup": pickup_address,
        "dropoff": address,
        "order_status": "delivered",
        "order_version": 7,
        "order_courier_actions": [],
        "history": [
            {"status": "assigned", "at": at + timedelta(seconds=90), "actor_type": "system", "actor_id": "dispatch"},
            {**history[4], "actor_type": "courier"},
            {**history[5], "actor_type": "courier"},
        ],
        "created_at": at + timedelta(seconds=90),
        "updated_at": delivered_at,
        "version": 5,
    }
    return order, delivery


def load_orders(
    target: Target,
    *,
    count: int,
    history: int,
    customers: list,
    restaurants: list,
    couriers: list,
    sample_courier: tuple,
    rng,
    stats: dict,
) -> None:
    """`count` delivered orders: customer i has orders i*history .. (i+1)*history - 1 (the sample
    customer exactly `history`), restaurants and couriers round robin (the sample restaurant as many
    as any; the sample courier the first SAMPLE_COURIER_DELIVERIES too), placed over the past 60
    days but not the last one."""
    orders, deliveries = target.db("orders")["orders"], target.db("deliveries")["deliveries"]
    newest = datetime.now(UTC) - timedelta(days=1)
    per_restaurant: dict[str, int] = {}
    with_deliveries: set[str] = set()
    chunk = 4 * BATCH
    for first in range(0, count, chunk):
        batch_orders, batch_deliveries = [], []
        for n in range(first, min(count, first + chunk)):
            restaurant = restaurants[n % len(restaurants)]
            at = newest - timedelta(seconds=rng.randrange(60 * 86400))
            order, delivery = _order_and_delivery(
                n,
                customer=customers[min(n // max(history, 1), len(customers) - 1)],
                restaurant=restaurant,
                courier=sample_courier if n < SAMPLE_COURIER_DELIVERIES else couriers[n % len(couriers)],
                at=at.replace(microsecond=(at.microsecond // 1000) * 1000),
                rng=rng,
            )
            batch_orders.append(order)
            batch_deliveries.append(delivery)
            per_restaurant[restaurant[0]] = per_restaurant.get(restaurant[0], 0) + 1
            with_deliveries.add(delivery["courier_id"])
        _insert(orders, batch_orders, stats, "orders")
        _insert(deliveries, batch_deliveries, stats, "deliveries")
    # The kitchens' lists (orders/lists.py) and couriers' lists of deliveries (deliveries/courier_list.py)
    # that gained some: rebuilt when next read.
    redis = target.redis()
    stale = [target.key("orders", "of-restaurant", rid) for rid in per_restaurant]
    stale += [target.key("orders", "of-restaurant", rid, "delivered") for rid in per_restaurant]
    stale += [target.key("deliveries", "of-courier", cid) for cid in with_deliveries]
    for first in range(0, len(stale), BATCH):
        redis.delete(*stale[first : first + BATCH])
    counts = [UpdateOne({"_id": ObjectId(rid)}, {"$inc": {"order_count": k}}) for rid, k in per_restaurant.items()]
    for first in range(0, len(counts), BATCH):
        target.db("restaurants")["restaurants"].bulk_write(counts[first : first + BATCH], ordered=False)


def load(
    target: Target, *, orders: int, restaurants: int, couriers: int, history: int, seed: int | None = None
) -> dict:
    """Adds this much to the platform; returns the sample accounts and what was loaded, with timings."""
    run = uuid.uuid4().hex[:6]
    rng = random.Random(seed if seed is not None else run)  # noqa: S311 (sample data, not secrets)
    stats: dict = {"run": run}
    started = time.monotonic()
    side_km = city_side_km(max(restaurants, 1))
    accounts = samples(target, run, _point(rng, side_km / 4))
    t = templates(target, accounts)
    if restaurants > 0:
        placed_restaurants = load_restaurants(
            target, t, count=restaurants, run=run, rng=rng, side_km=side_km, stats=stats
        )
        refresh_restaurant_read_models(target, placed_restaurants)
    else:
        placed_restaurants = existing_restaurants(target)
    customer_count = max(1, math.ceil(orders / max(history, 1)))
    placed_customers = load_customers(
        target, t, count=customer_count, run=run, restaurants=placed_restaurants, rng=rng, stats=stats
    )
    if couriers > 0:
        placed_couriers = load_couriers(target, t, count=couriers, run=run, rng=rng, side_km=side_km, stats=stats)
    else:
        placed_couriers = existing_couriers(target)
    load_orders(
        target,
        count=orders,
        history=history,
        customers=placed_customers,
        restaurants=placed_restaurants,
        couriers=placed_couriers,
        sample_courier=(t["courier"]["_id"], t["courier"].get("vehicle")),
        rng=rng,
        stats=stats,
    )
    warmed = time.monotonic()
    warm_read_models(target, accounts)
    stats.setdefault("seconds", {})["read models built"] = round(time.monotonic() - warmed, 1)
    stats["total_seconds"] = round(time.monotonic() - started, 1)
    return {"accounts": accounts, "stats": stats}


def warm_read_models(target: Target, accounts: dict) -> None:
    """Builds now what the first reader would otherwise build from the whole store: the lists paged
    from Redis (common/ranked_index.py) and the restaurants' geo index, by reading each once as the
    sample accounts (signed in afresh: a long load never outlives a token); the operators' list of
    couriers straight from the store."""
    gateway = target.gateway
    tokens = {
        kind: http("POST", f"{gateway}/{kind}/login", body={k: accounts[name][k] for k in ("email", "password")})[
            "access"
        ]
        for name, kind in (("customer", "customers"), ("restaurant", "restaurants"), ("courier", "couriers"))
    }
    address = http("GET", f"{gateway}/customers/me/addresses", tokens["customers"])
    address = (address["results"] if isinstance(address, dict) else address)[0]
    http("GET", f"{gateway}/restaurants")
    http("GET", f"{gateway}/restaurants?near={address['lat']},{address['lng']}")
    http("GET", f"{gateway}/customers/me/orders", tokens["customers"])
    http("GET", f"{gateway}/restaurants/{accounts['restaurant']['restaurant_id']}/orders", tokens["restaurants"])
    http("GET", f"{gateway}/deliveries", tokens["couriers"])
    redis, listed = target.redis(), target.key("couriers", "listed")
    if not redis.exists(listed):
        ids = [c["_id"] for c in target.db("deliveries")["couriers"].find({}, {"_id": 1})]
        redis.zadd(listed, {"\x00built": float("-inf")})
        for first in range(0, len(ids), BATCH):
            redis.zadd(listed, dict.fromkeys(ids[first : first + BATCH], 0))
        redis.expire(listed, 3600)  # COURIER_LIST_TTL_S's default
