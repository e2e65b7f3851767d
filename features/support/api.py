"""One function per API call, for the steps: the raw form returns the response, the checked form
(`ok`) asserts the expected status and returns the JSON body. Everything goes through the gateway."""

from __future__ import annotations

import json
import threading
import uuid

import requests

PASSWORD = "correct horse battery"
ADDRESS = {"line1": "1 Canal St", "city": "Amsterdam", "postcode": "1011", "lat": 52.37, "lng": 4.89}
KIND_PATHS = {"customer": "customers", "restaurant user": "restaurants", "courier": "couriers"}


class Api:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base + path, headers=headers, timeout=15, **kwargs)

    def ok(self, method: str, path: str, token: str | None = None, expect: int = 200, **kwargs):
        response = self.call(method, path, token, **kwargs)
        assert response.status_code == expect, f"{method} {path} -> {response.status_code}: {response.text}"
        return response.json() if response.content else None

    # --- identity ------------------------------------------------------------------------------

    def register(self, kind: str, email: str, name: str = "Someone", password: str = PASSWORD):
        return self.call(
            "POST", f"/{KIND_PATHS[kind]}/register", json={"email": email, "password": password, "name": name}
        )

    def login(self, kind: str, email: str, password: str = PASSWORD):
        return self.call("POST", f"/{KIND_PATHS[kind]}/login", json={"email": email, "password": password})

    def new_user(self, kind: str, name: str) -> dict:
        email = f"{name.lower().replace(' ', '.')}.{uuid.uuid4().hex[:8]}@example.com"
        account = self.register(kind, email, name)
        assert account.status_code == 201, account.text
        tokens = self.login(kind, email)
        assert tokens.status_code == 200, tokens.text
        return {"kind": kind, "email": email, "id": account.json()["id"], **tokens.json()}

    # --- restaurants -----------------------------------------------------------------------------

    def create_restaurant(self, token: str, name: str, cuisine: str = "vietnamese", **fields) -> dict:
        return self.ok(
            "POST",
            "/restaurants",
            token,
            expect=201,
            json={"name": name, "cuisine": cuisine, "address": ADDRESS, **fields},
        )

    def add_dish(self, token: str, restaurant_id: str, name: str, price_cents: int):
        return self.call(
            "POST", f"/restaurants/{restaurant_id}/menu/items", token, json={"name": name, "price_cents": price_cents}
        )

    def menu(self, restaurant_id: str) -> dict:
        return self.ok("GET", f"/restaurants/{restaurant_id}/menu")

    # --- orders ------------------------------------------------------------------------------------

    def add_address(self, token: str) -> dict:
        return self.ok("POST", "/customers/me/addresses", token, expect=201, json={"label": "Home", **ADDRESS})

    def place_order(
        self, token: str, restaurant_id: str, lines: list[tuple[str, int]], address_id: str, key: str | None
    ):
        headers = {"Idempotency-Key": key} if key else {}
        return self.call(
            "POST",
            "/customers/me/orders",
            token,
            headers=headers,
            json={
                "restaurant_id": restaurant_id,
                "address_id": address_id,
                "items": [{"menu_item_id": item_id, "quantity": quantity} for item_id, quantity in lines],
            },
        )

    def set_order_status(self, token: str, restaurant_id: str, order_id: str, status: str):
        return self.call(
            "POST", f"/restaurants/{restaurant_id}/orders/{order_id}/status", token, json={"status": status}
        )


class EventFollower:
    """Reads an order's event stream in the background, as a customer's app would."""

    def __init__(self, api: Api, order_id: str, token: str):
        self.events: list[dict] = []  # `status` events
        self.locations: list[dict] = []  # `location` events
        self.opened = threading.Event()
        self.status_code: int | None = None
        self._thread = threading.Thread(target=self._run, args=(api, order_id, token), daemon=True)
        self._thread.start()

    def _run(self, api: Api, order_id: str, token: str) -> None:
        with api.http.get(
            f"{api.base}/orders/{order_id}/events",
            headers={"Authorization": f"Bearer {token}"},
            stream=True,
            timeout=60,
        ) as response:
            self.status_code = response.status_code
            self.opened.set()
            kind = "status"
            for line in response.iter_lines():
                if line.startswith(b"event:"):
                    kind = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    (self.locations if kind == "location" else self.events).append(json.loads(line[5:]))
                elif not line:
                    kind = "status"

    def wait_until_closed(self, timeout_s: float) -> bool:
        self._thread.join(timeout_s)
        return not self._thread.is_alive()
