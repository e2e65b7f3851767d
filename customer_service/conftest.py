import uuid

import pytest
import requests


@pytest.fixture(scope="session")
def jwt_key_pair(live_platform):
    """Tokens minted by the live auth service must verify here: use its key pair."""
    return live_platform.key_pair()


@pytest.fixture(autouse=True)
def _wired_to_live_platform(wire_to_live_platform, mongo_db, redis_client):
    """This in-process service talks to the live platform's other services."""
    wire_to_live_platform("customer", ["auth", "restaurant", "order"])


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
