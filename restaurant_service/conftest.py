import pytest


@pytest.fixture(autouse=True)
def _isolated_storage(mongo_db, redis_client):
    """Every restaurant test runs on its own database and Redis key prefix."""


@pytest.fixture
def owner(issue_token):
    """A restaurant user: (id, auth headers)."""
    owner_id = "a" * 24
    return owner_id, {"Authorization": f"Bearer {issue_token('restaurant', sub=owner_id)}"}


@pytest.fixture
def rival(issue_token):
    return {"Authorization": f"Bearer {issue_token('restaurant', sub='b' * 24)}"}


@pytest.fixture
def service_headers(issue_token):
    return {"Authorization": f"Bearer {issue_token('service', sub='order')}"}
