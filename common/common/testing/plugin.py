"""pytest fixtures for tests that talk to the real MongoDB-compatible server and Redis.

The servers are the ones the project's tooling starts (`MONGO_URL`, `REDIS_URL`). Each test that
asks for `mongo_db` gets a database of its own, dropped afterwards; `redis_client` gives a key
prefix of its own, so tests are independent and can run in any order or repeatedly.
"""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def mongo_db(settings):
    from common.mongo import ensure_indexes, get_client, get_database

    settings.MONGO_DB_PREFIX = f"test_{uuid.uuid4().hex[:10]}_"
    db = get_database()
    ensure_indexes(db)
    yield db
    get_client().drop_database(db.name)


@pytest.fixture
def redis_client(settings):
    from common.redis_client import get_redis

    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    settings.REDIS_KEY_PREFIX = prefix
    client = get_redis()
    yield client
    keys = list(client.scan_iter(match=prefix + "*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture
def django_requests():
    """The requests Django's handler started during the test (its `request_started` signals)."""
    from django.core import signals

    started = []

    def count(**kwargs):
        started.append(kwargs)

    signals.request_started.connect(count)
    yield started
    signals.request_started.disconnect(count)


@pytest.fixture
def redis_down(settings):
    """Points this process at a Redis that does not answer (a closed port, short timeouts), with
    no cached client left over on either side of the test."""
    from common.settings_base import redis_caches

    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    settings.REDIS_TIMEOUT_S = 0.2
    # Django drops its cache handlers (django-redis's clients) when CACHES changes, here and on undo.
    settings.CACHES = redis_caches(settings.REDIS_URL, settings.REDIS_TIMEOUT_S)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(scope="session")
def jwt_key_pair() -> tuple[str, str]:
    """A throwaway RSA key pair for the test session (private PEM, public PEM)."""
    from common.keys import rsa_key_pair_pem

    return rsa_key_pair_pem()


@pytest.fixture(autouse=True)
def _jwt_keys(settings, jwt_key_pair):
    settings.JWT_PRIVATE_KEY, settings.JWT_PUBLIC_KEY = jwt_key_pair


@pytest.fixture
def issue_token():
    """Mints a signed token as the auth service would: `issue_token("customer", sub="...")`."""
    from common.jwt import AccessToken

    def _issue(user_type: str, *, sub: str | None = None, token_class=AccessToken, **claims) -> str:
        token = token_class()
        token["sub"] = sub or uuid.uuid4().hex[:24]
        token["user_type"] = user_type
        token["role"] = claims.pop("role", "user")
        for name, value in claims.items():
            token[name] = value
        return str(token)

    return _issue


@pytest.fixture(scope="session")
def live_platform_env() -> dict[str, str]:
    """Extra environment for the live platform's processes; a suite's conftest may override it."""
    return {}


@pytest.fixture(scope="session")
def live_platform(tmp_path_factory, live_platform_env):
    """All six services as real processes on free ports (started once per test session)."""
    from common.testing.live import LivePlatform

    platform = LivePlatform(tmp_path_factory.mktemp("platform"), extra_env=live_platform_env).start()
    yield platform
    platform.stop()


@pytest.fixture
def wire_to_live_platform(settings, live_platform):
    """Points this in-process service at the live platform's other services, with its own
    service credentials: `wire_to_live_platform("order", ["auth", "restaurant", "delivery"])`."""
    from common.http import service_client, service_token

    def _wire(client_id: str, services: list[str]) -> None:
        settings.SERVICE_URLS = {**settings.SERVICE_URLS, **{name: live_platform.url(name) for name in services}}
        settings.SERVICE_CLIENT_ID = client_id
        settings.SERVICE_CLIENT_SECRET = live_platform.client_secret(client_id)
        service_client.cache_clear()
        service_token.clear()

    yield _wire
    service_client.cache_clear()
    service_token.clear()


def beside_the_live_platform(client_id: str, services: list[str]):
    """The two fixtures of a suite whose in-process service talks to the live platform's other
    services; in its conftest.py: `jwt_key_pair, _wired = beside_the_live_platform("order", [...])`.
    Tokens minted by the live auth service verify here (its key pair), and every test's service calls
    go to the live `services` with this service's own credentials."""

    @pytest.fixture(scope="session", name="jwt_key_pair")
    def live_key_pair(live_platform):
        return live_platform.key_pair()

    @pytest.fixture(autouse=True, name="_wired_to_live_platform")
    def wired(wire_to_live_platform, mongo_db, redis_client):
        wire_to_live_platform(client_id, services)

    return live_key_pair, wired


@pytest.fixture
def service_down(settings):
    """Points this in-process service's calls to another service where nothing listens:
    `service_down("restaurant")`; each call then fails to connect, as to a service that is down."""
    from common.http import service_client

    def _down(name: str) -> None:
        settings.SERVICE_URLS = {**settings.SERVICE_URLS, name: "http://127.0.0.1:9"}
        service_client.cache_clear()

    return _down


@pytest.fixture(scope="session")
def gateway(live_platform) -> str:
    """The live platform's gateway URL."""
    return live_platform.url("gateway")


@pytest.fixture(scope="session")
def actors(live_platform):
    """Registers users and builds data on the live platform through its gateway."""
    from common.testing.live import LiveActors

    return LiveActors(live_platform.url("gateway"), live_platform)


@pytest.fixture
def no_orders_waiting(settings, live_platform):
    """Takes what earlier tests left out of the live platform's dispatch, so a test's couriers get
    only that test's orders and its orders only its couriers (the live platform is shared by every
    test of a session, and an accepted order can be neither cancelled nor rejected): orders waiting
    for a courier or assigned leave the queue, and couriers still on duty go off duty. Without the
    latter, a courier an earlier test left free (its release may even land after that test ended)
    took the next test's order, being the longest available. Setup only: no test reads another
    service's database to check an outcome."""
    from pymongo import MongoClient

    client = MongoClient(settings.MONGO_URL)
    client[f"{live_platform.db_prefix}orders"]["orders"].update_many(
        {"dispatch": {"$in": ["waiting", "assigned"]}}, {"$set": {"dispatch": "drained-by-tests"}}
    )
    client[f"{live_platform.db_prefix}deliveries"]["couriers"].update_many(
        {"available": True}, {"$set": {"available": False}}
    )
    client.close()


@pytest.fixture
def background_loops():
    """This service's background loops running in the test's process, as a server's lifespan runs
    them (common/background.py), stopped after the test. Each loop's period is its setting then."""
    from common import background

    runner = background.start()
    yield runner
    background.stop()
