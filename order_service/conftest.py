import pytest

from common.testing.live import LiveActors


@pytest.fixture(scope="session")
def jwt_key_pair(live_platform):
    """Tokens minted by the live auth service must verify here: use its key pair."""
    return live_platform.key_pair()


@pytest.fixture(scope="session")
def actors(live_platform):
    return LiveActors(live_platform.url("gateway"))


@pytest.fixture(autouse=True)
def _wired_to_live_platform(settings, live_platform, mongo_db, redis_client):
    """This in-process order service talks to the live restaurant, delivery and auth services."""
    from common.http import service_client, service_token

    settings.SERVICE_URLS = {
        **settings.SERVICE_URLS,
        **{name: live_platform.url(name) for name in ("auth", "restaurant", "delivery")},
    }
    settings.SERVICE_CLIENT_ID = "order"
    settings.SERVICE_CLIENT_SECRET = live_platform.client_secret("order")
    service_client.cache_clear()
    service_token.clear()
    yield
    service_client.cache_clear()
    service_token.clear()


@pytest.fixture
def service_headers(issue_token):
    return {"Authorization": f"Bearer {issue_token('service', sub='customer')}"}


@pytest.fixture
def menu(actors):
    """A live restaurant with two dishes (12.50 and 8.00) and its owner."""
    owner_id, owner_headers = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(owner_headers)
    return {"owner_id": owner_id, **world}
