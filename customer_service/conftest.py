import uuid

import pytest
import requests


@pytest.fixture(scope="session")
def jwt_key_pair(live_platform):
    """Tokens minted by the live auth service must verify here: use its key pair."""
    return live_platform.key_pair()


@pytest.fixture(autouse=True)
def _wired_to_live_auth(settings, live_platform, mongo_db, redis_client):
    from common.http import service_client, service_token

    settings.SERVICE_URLS = {
        **settings.SERVICE_URLS,
        "auth": live_platform.url("auth"),
        "restaurant": live_platform.url("restaurant"),
    }
    settings.SERVICE_CLIENT_ID = "customer"
    settings.SERVICE_CLIENT_SECRET = live_platform.client_secret("customer")
    service_client.cache_clear()
    service_token.clear()
    yield
    service_client.cache_clear()
    service_token.clear()


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
