import pytest


@pytest.fixture(scope="session")
def jwt_key_pair(live_platform):
    """Tokens minted by the live auth service must verify here: use its key pair."""
    return live_platform.key_pair()


@pytest.fixture(autouse=True)
def _wired_to_live_platform(wire_to_live_platform, mongo_db, redis_client):
    """This in-process service talks to the live platform's other services."""
    wire_to_live_platform("order", ["auth", "customer", "restaurant", "delivery"])


@pytest.fixture
def service_headers(issue_token):
    return {"Authorization": f"Bearer {issue_token('service', sub='customer')}"}


@pytest.fixture
def menu(actors):
    """A live restaurant with two dishes (12.50 and 8.00) and its owner."""
    owner_id, owner_headers = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(owner_headers)
    return {"owner_id": owner_id, **world}


@pytest.fixture
def restaurant_service_down(settings):
    """Nothing answers at the restaurant service's address: only published terms can price an order."""
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "restaurant": "http://127.0.0.1:9"}
