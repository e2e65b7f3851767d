"""The requests the growth benchmark times (bench/growth.py): each one a person or a client makes,
through the gateway, as the sample accounts of a load (bench/growth_load.py) make it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import requests

TIMEOUT = 60
FILTER_CUISINE = "thai"  # one of the loaded restaurants' cuisines (bench/growth_samples.py)


class Actor:
    """One signed-in account: a session with its bearer token."""

    def __init__(self, gateway: str, kind: str, account: dict):
        self.gateway, self.kind, self.account = gateway, kind, account
        self.session = requests.Session()
        self.sign_in()

    def sign_in(self) -> requests.Response:
        answer = self.session.post(
            f"{self.gateway}/{self.kind}/login",
            json={"email": self.account["email"], "password": self.account["password"]},
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access']}"
        return answer

    def call(self, method: str, path: str, body: dict | None = None, **kwargs) -> requests.Response:
        answer = self.session.request(method, f"{self.gateway}{path}", json=body, timeout=TIMEOUT, **kwargs)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer


class Operator(Actor):
    """An operator: signed in once with a TOTP code, then by refresh token (a code is spent once)."""

    def __init__(self, gateway: str, account: dict):
        self.refresh = ""
        super().__init__(gateway, "operators", account)

    def sign_in(self) -> requests.Response:
        import pyotp

        if self.refresh:
            answer = self.session.post(
                f"{self.gateway}/operators/refresh-token", json={"refresh": self.refresh}, timeout=TIMEOUT
            )
        else:
            first = self.session.post(
                f"{self.gateway}/operators/login",
                json={"email": self.account["email"], "password": self.account["password"]},
                timeout=TIMEOUT,
            )
            first.raise_for_status()
            code = pyotp.TOTP(self.account["secret"]).now()
            answer = self.session.post(
                f"{self.gateway}/operators/login/mfa",
                json={"mfa_token": first.json()["mfa_token"], "code": code},
                timeout=TIMEOUT,
            )
        answer.raise_for_status()
        self.refresh = answer.json()["refresh"]
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access']}"
        return answer


def first_event(actor: Actor, path: str) -> str:
    """Opens a live stream and reads until its first event (the snapshot) has arrived; closes it."""
    with actor.session.get(f"{actor.gateway}{path}", stream=True, timeout=TIMEOUT) as answer:
        if answer.status_code >= 400:
            raise RuntimeError(f"GET {path}: {answer.status_code}")
        seen = []
        for line in answer.iter_lines(decode_unicode=True):
            if line == "" and any(part.startswith("data:") for part in seen):
                return "\n".join(seen)
            if line is not None:
                seen.append(line)
    raise RuntimeError(f"{path}: the stream ended before its first event")


def probes(
    gateway: str, accounts: dict, ops: Operator | None = None, placed: list[str] | None = None
) -> dict[str, Callable[[], object]]:
    """Name -> one request (a callable making it once). Signs the sample accounts in (an operator
    signs in once with a code: pass the same one to every call, it is signed in again by refresh).
    The ids of the orders placement places are appended to `placed`."""
    customer = Actor(gateway, "customers", accounts["customer"])
    owner = Actor(gateway, "restaurants", accounts["restaurant"])
    courier = Actor(gateway, "couriers", accounts["courier"])
    rid = accounts["restaurant"]["restaurant_id"]
    address = customer.call("GET", "/customers/me/addresses").json()
    address = address["results"][0] if isinstance(address, dict) else address[0]
    menu = customer.call("GET", f"/restaurants/{rid}/menu").json()["items"]
    body = {
        "restaurant_id": rid,
        "address_id": address["id"],
        "items": [{"menu_item_id": menu[0]["id"], "quantity": 1}, {"menu_item_id": menu[1]["id"], "quantity": 2}],
    }
    history = customer.call("GET", "/customers/me/orders").json()["results"]
    an_order = history[0]["id"] if history else None
    near = f"{address['lat']},{address['lng']}"

    def place():
        answer = customer.call("POST", "/customers/me/orders", body, headers={"Idempotency-Key": uuid.uuid4().hex})
        if placed is not None:
            placed.append(answer.json()["id"])
        return answer

    found: dict[str, Callable[[], object]] = {
        "sign-in": customer.sign_in,
        "restaurant list": lambda: customer.call("GET", "/restaurants"),
        "restaurant list, page 5": lambda: customer.call("GET", "/restaurants?page=5"),
        "near browse": lambda: customer.call("GET", f"/restaurants?near={near}"),
        "menu": lambda: customer.call("GET", f"/restaurants/{rid}/menu"),
        "quote": lambda: customer.call("POST", "/customers/me/orders/quote", body),
        "placement": place,
        "customer history": lambda: customer.call("GET", "/customers/me/orders"),
        "kitchen list": lambda: owner.call("GET", f"/restaurants/{rid}/orders"),
        "kitchen board snapshot": lambda: first_event(owner, f"/restaurants/{rid}/orders/events"),
        "courier feed snapshot": lambda: first_event(courier, "/couriers/me/events"),
        "courier deliveries": lambda: courier.call("GET", "/deliveries"),
        "position": lambda: courier.call(
            "POST", "/couriers/me/location", {"lat": address["lat"], "lng": address["lng"]}
        ),
    }
    # Lists with filters (ARCHITECTURE 5): a kitchen's and a courier's finished orders grow with the
    # history, a cuisine's and a name's restaurants with the city.
    found.update(
        {
            "kitchen list ?status=delivered": lambda: owner.call("GET", f"/restaurants/{rid}/orders?status=delivered"),
            "kitchen list ?status=placed": lambda: owner.call("GET", f"/restaurants/{rid}/orders?status=placed"),
            "courier deliveries ?status=delivered": lambda: courier.call("GET", "/deliveries?status=delivered"),
            "restaurant list ?cuisine=": lambda: customer.call("GET", f"/restaurants?cuisine={FILTER_CUISINE}"),
            "restaurant list ?q=": lambda: customer.call("GET", "/restaurants?q=Kitchen 1"),
        }
    )
    if an_order:
        found["an order"] = lambda: customer.call("GET", f"/orders/{an_order}")
    if ops:
        ops.sign_in()
        found["operator orders"] = lambda: ops.call("GET", "/operator/orders")
        found["operator couriers"] = lambda: ops.call("GET", "/operator/couriers")
        found["operator orders ?status=placed"] = lambda: ops.call("GET", "/operator/orders?status=placed")
        found["operator orders ?attention=true"] = lambda: ops.call("GET", "/operator/orders?attention=true")
        found["operator couriers ?available=true"] = lambda: ops.call("GET", "/operator/couriers?available=true")
        # Off duty: the loaded couriers, a full page at every size (on duty: one sample courier per size).
        found["operator couriers ?available=false"] = lambda: ops.call("GET", "/operator/couriers?available=false")
    return found


def timed(probe: Callable[[], object], repeats: int) -> list[float]:
    """Milliseconds of each of `repeats` calls (after one untimed call that warms caches)."""
    probe()
    spent = []
    for _ in range(repeats):
        started = time.perf_counter()
        probe()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def cancel(ops: Operator, order_ids: list[str]) -> int:
    """Cancels the benchmark's own placements (an operator's cancel: any state before pickup), so
    the city's live orders stay as many at every size and only the stored history grows; returns
    how many were cancelled (those already picked up or finished stay)."""
    cancelled = 0
    for order_id in order_ids:
        try:
            ops.call("POST", f"/operator/orders/{order_id}/cancel", {"reason": "growth benchmark: its own order"})
            cancelled += 1
        except RuntimeError:
            pass
    return cancelled
