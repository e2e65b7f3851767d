import pytest


@pytest.fixture(autouse=True)
def _isolated_storage(mongo_db, redis_client):
    """Every auth test runs on its own database and Redis key prefix."""
