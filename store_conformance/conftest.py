"""The store conformance suite talks to whichever MongoDB-compatible server `MONGO_URL` names."""

from __future__ import annotations

import os
import uuid

import pytest
from pymongo import MongoClient


@pytest.fixture(scope="session")
def mongo_client():
    url = os.environ.get("MONGO_URL")
    if not url:
        pytest.fail("MONGO_URL is not set: run this suite through `make test` (tools/devstack test)")
    client = MongoClient(url, serverSelectionTimeoutMS=5000, maxPoolSize=64)
    yield client
    client.close()


@pytest.fixture
def db(mongo_client):
    name = f"conformance_{uuid.uuid4().hex[:10]}"
    yield mongo_client[name]
    mongo_client.drop_database(name)
