import uuid

import pytest
import requests

from common.testing.plugin import beside_the_live_platform

# This in-process service talks to the live platform's other services.
jwt_key_pair, _wired_to_live_platform = beside_the_live_platform("customer", ["auth", "restaurant", "order"])


@pytest.fixture
def customer(live_platform):
    """A freshly registered customer: (account id, access token)."""
    email = f"c-{uuid.uuid4().hex[:8]}@example.com"
    auth = live_platform.url("auth")
    account = requests.post(
        f"{auth}/customers/register",
        json={"email": email, "password": "correct horse battery", "name": "Cleo"},
        timeout=10,
    )
    assert account.status_code == 201, account.text
    tokens = requests.post(
        f"{auth}/customers/login", json={"email": email, "password": "correct horse battery"}, timeout=10
    ).json()
    return account.json()["id"], tokens["access"]
