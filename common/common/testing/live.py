"""The whole platform as real processes, for tests that need real upstreams (not mocks of them).

It is started by the project's own tooling (tools/devstack), on free ports, against the
MongoDB-compatible server and Redis of the test run (`MONGO_URL`, `REDIS_URL`).
"""

from __future__ import annotations

import importlib
import json
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@cache
def devstack():
    """The project's tooling package (tools/devstack), which is not installed: it runs before anything is."""
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    return importlib.import_module("devstack")


class LivePlatform:
    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None, *, own_redis: bool = False):
        import uuid

        self.db_prefix = f"live_{uuid.uuid4().hex[:8]}_"
        self.stack = devstack().Stack(
            data_dir=data_dir,
            free_ports=True,
            quiet=True,
            db_prefix=self.db_prefix,
            own_redis=own_redis,
            # Every test registers users from 127.0.0.1; the limits have their own tests.
            extra_env={
                "RATE_LIMIT_AUTH_PER_MINUTE": "100000",
                "RATE_LIMIT_DEFAULT_PER_MINUTE": "100000",
                "LOGIN_FAILURES_PER_IP": "100000",
                **(extra_env or {}),
            },
        )

    def start(self) -> LivePlatform:
        try:
            self.stack.start_databases()
            self.stack.start_services()
        except BaseException:
            self.stack.stop()
            raise
        return self

    def stop(self) -> None:
        self.stack.stop()

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.stack.ports[service]}"

    @property
    def secrets_dir(self) -> Path:
        return self.stack.data_dir / "secrets"

    def key_pair(self) -> tuple[str, str]:
        return (self.secrets_dir / "jwt-private.pem").read_text(), (self.secrets_dir / "jwt-public.pem").read_text()

    def client_secret(self, service: str) -> str:
        return json.loads((self.secrets_dir / "service-secrets.json").read_text())[service]

    def create_operator(self, email: str, password: str) -> str:
        """An operator made as the people who run the platform make one (the auth service's
        `create_operator`); returns the TOTP secret of the `otpauth://` URI it printed once."""
        from urllib.parse import parse_qs, urlparse

        printed = self.stack.create_operator(email, password)
        uri = next(line for line in printed.splitlines() if line.startswith("otpauth://"))
        return parse_qs(urlparse(uri).query)["secret"][0]


PASSWORD = "correct horse battery"
ADDRESS = {"line1": "1 Canal St", "city": "Amsterdam", "postcode": "1011", "lat": 52.37, "lng": 4.89}
# Every step of an order that went all the way, in the order its history lists them.
DELIVERED_HISTORY = ["placed", "accepted", "preparing", "ready", "picked_up", "delivered"]


class LiveActors:
    """Registers users and builds data on a live platform through the gateway, as a client would."""

    def __init__(self, gateway_url: str, platform: LivePlatform | None = None):
        import requests

        self.gateway = gateway_url
        self.platform = platform  # for what no public route makes: operators
        self.http = requests.Session()

    def call(self, method: str, path: str, *, headers: dict | None = None, **kwargs):
        return self.http.request(method, self.gateway + path, headers=headers, timeout=15, **kwargs)

    def ok(self, method: str, path: str, *, headers: dict | None = None, expect: int = 200, **kwargs) -> dict:
        response = self.call(method, path, headers=headers, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else {}

    def user(self, kind: str, name: str = "Tester") -> tuple[str, dict]:
        """(account id, auth headers) of a freshly registered user of this kind."""
        import uuid

        email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
        account = self.ok(
            "POST", f"/{kind}/register", json={"email": email, "password": PASSWORD, "name": name}, expect=201
        )
        tokens = self.ok("POST", f"/{kind}/login", json={"email": email, "password": PASSWORD})
        return account["id"], {"Authorization": f"Bearer {tokens['access']}"}

    def operator(self, name: str = "Olga") -> tuple[str, dict]:
        """(account id, auth headers) of a new operator, signed in through the gateway in two steps:
        the password, then a code from the secret `create_operator` printed."""
        import uuid

        import jwt
        import pyotp

        email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
        secret = self.platform.create_operator(email, PASSWORD)
        challenge = self.ok("POST", "/operators/login", json={"email": email, "password": PASSWORD})
        code = pyotp.TOTP(secret).now()
        tokens = self.ok("POST", "/operators/login/mfa", json={"mfa_token": challenge["mfa_token"], "code": code})
        account_id = jwt.decode(tokens["access"], options={"verify_signature": False})["sub"]
        return account_id, {"Authorization": f"Bearer {tokens['access']}"}

    def restaurant_with_menu(self, owner_headers: dict, prices: tuple[int, ...] = (1250, 800), **fields) -> dict:
        """A restaurant and its menu items: `{"restaurant": {...}, "items": [{...}, ...]}`."""
        restaurant = self.ok(
            "POST",
            "/restaurants",
            headers=owner_headers,
            expect=201,
            json={"name": "Pho Palace", "cuisine": "vietnamese", "address": ADDRESS, **fields},
        )
        items = [
            self.ok(
                "POST",
                f"/restaurants/{restaurant['id']}/menu/items",
                headers=owner_headers,
                expect=201,
                json={"name": f"Dish {n}", "price_cents": price},
            )
            for n, price in enumerate(prices)
        ]
        return {"restaurant": restaurant, "items": items}

    def place_order(self, customer_headers: dict, world: dict, address_id: str, quantity: int = 1) -> dict:
        """Places an order of the world's first dish, with a fresh Idempotency-Key; returns it."""
        import uuid

        return self.ok(
            "POST",
            "/customers/me/orders",
            expect=201,
            headers={**customer_headers, "Idempotency-Key": uuid.uuid4().hex},
            json={
                "restaurant_id": world["restaurant"]["id"],
                "address_id": address_id,
                "items": [{"menu_item_id": world["items"][0]["id"], "quantity": quantity}],
            },
        )

    def customer_with_address(self) -> tuple[str, dict, str]:
        """(customer id, auth headers, address id)."""
        customer_id, headers = self.user("customers", "Cleo")
        address = self.ok(
            "POST", "/customers/me/addresses", headers=headers, expect=201, json={"label": "Home", **ADDRESS}
        )
        return customer_id, headers, address["id"]
