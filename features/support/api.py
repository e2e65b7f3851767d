"""One function per API call, for the steps: the raw form returns the response, the checked form
(`ok`) asserts the expected status and returns the JSON body. Everything goes through the gateway."""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid

import requests

from common.testing.sse import events_of_lines

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


def act(context, name: str, method: str, path: str, **kwargs) -> requests.Response:
    """A call by the scenario's person `name` (their access token), kept as `context.last` for the
    steps that check its answer."""
    context.last = context.api.call(method, path, context.users[name]["access"], **kwargs)
    return context.last


class StreamFollower:
    """Reads a live stream (Server-Sent Events) in the background, as an app would: every event as
    `{id, event, data}`, in order. `close()` drops the connection, as a phone losing its network."""

    def __init__(self, api: Api, path: str, token: str, last_event_id: str | None = None):
        self.events: list[dict] = []
        self.opened = threading.Event()
        self.status_code: int | None = None
        self.changed = threading.Condition()
        self._response = None
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self._thread = threading.Thread(target=self._run, args=(api, path, headers), daemon=True)
        self._thread.start()
        assert self.opened.wait(10), f"{path} did not answer"

    def _run(self, api: Api, path: str, headers: dict) -> None:
        try:
            with api.http.get(f"{api.base}{path}", headers=headers, stream=True, timeout=60) as response:
                self._response = response
                self.status_code = response.status_code
                self.opened.set()
                for event in events_of_lines(response.iter_lines(decode_unicode=True)):
                    with self.changed:
                        self.events.append(event)
                        self.changed.notify_all()
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by close(), or the server went away
        finally:
            self.opened.set()
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, predicate, timeout_s: float = 10.0):
        """The first event that satisfies `predicate`, waiting up to `timeout_s`; None if none came."""
        with self.changed:
            found = self.changed.wait_for(
                lambda: next((e for e in self.events if predicate(e)), None) or not self._thread.is_alive(),
                timeout_s,
            )
            return next((e for e in self.events if predicate(e)), None) if found else None

    def of_kind(self, event: str) -> list[dict]:
        with self.changed:
            return [e["data"] for e in self.events if e["event"] == event]

    def close(self) -> None:
        """Drops the connection at once (closing the response from another thread would not wake the
        reader blocked on the socket)."""
        if self._response is not None:
            sock = getattr(getattr(self._response.raw, "connection", None), "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._response.close()
        self._thread.join(5)

    def wait_until_closed(self, timeout_s: float) -> bool:
        self._thread.join(timeout_s)
        return not self._thread.is_alive()


class EventFollower(StreamFollower):
    """An order's stream, as a customer's app follows it: `statuses` and `locations`."""

    def __init__(self, api: Api, order_id: str, token: str):
        super().__init__(api, f"/orders/{order_id}/events", token)

    @property
    def statuses(self) -> list[dict]:
        return self.of_kind("status")

    @property
    def locations(self) -> list[dict]:
        return self.of_kind("location")
