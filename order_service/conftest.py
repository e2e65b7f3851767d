import pytest

from common.testing.plugin import beside_the_live_platform

# This in-process service talks to the live platform's other services.
jwt_key_pair, _wired_to_live_platform = beside_the_live_platform(
    "order", ["auth", "customer", "restaurant", "delivery"]
)


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
