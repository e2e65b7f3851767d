"""Against the real MongoDB-compatible server and Redis the tooling started."""

import time

import pytest
from pymongo.errors import DuplicateKeyError

from common.mongo import _client, once_per_database, parse_object_id
from common.ratelimit import window_hit, window_peek, window_reset
from common.redis_client import redis_key


def test_declared_indexes_are_created_and_enforced(mongo_db):
    mongo_db["things"].insert_one({"name": "a"})

    with pytest.raises(DuplicateKeyError):
        mongo_db["things"].insert_one({"name": "a"})


def test_each_test_gets_an_empty_database(mongo_db):
    assert mongo_db["things"].count_documents({}) == 0


@pytest.mark.parametrize("value", ["", "123", "zz" * 12, "65f0c0ffee0000000000000G", {"$ne": 1}, None, 5])
def test_malformed_ids_parse_to_none(value):
    assert parse_object_id(value) is None


def test_a_backfill_runs_once_per_database(mongo_db):
    runs = []

    @once_per_database("things-marked")
    def mark(db) -> int:
        runs.append(db.name)
        return db["things"].update_many({}, {"$set": {"marked": True}}).modified_count

    mongo_db["things"].insert_many([{"name": "a"}, {"name": "b"}])

    assert mark(mongo_db) == 2
    assert mark(mongo_db) == 0  # a later start: the note says it was done
    assert runs == [mongo_db.name]


def test_a_real_object_id_parses():
    assert str(parse_object_id("65f0c0ffee00000000000001")) == "65f0c0ffee00000000000001"


def test_readyz_is_200_when_mongodb_and_redis_answer(client, mongo_db, redis_client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"mongodb": "ok", "redis": "ok"}


def test_readyz_is_503_with_details_when_mongodb_is_unreachable(client, settings):
    settings.MONGO_URL = "mongodb://127.0.0.1:9/"
    settings.MONGO_TIMEOUT_MS = 200
    try:
        response = client.get("/readyz")
    finally:
        _client.cache_clear()

    assert response.status_code == 503
    assert "mongodb" in response.json()["error"]["details"]
    assert response["Retry-After"]


def test_readyz_is_503_when_redis_is_unreachable(client, mongo_db, redis_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert set(response.json()["error"]["details"]) == {"redis"}


def test_a_dependency_that_is_not_required_is_reported_but_keeps_the_service_ready(
    client, settings, mongo_db, redis_down
):
    settings.READINESS_REQUIRES = ["mongodb"]

    response = client.get("/readyz")

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["mongodb"] == "ok"
    assert checks["redis"].startswith("degraded: ")


def test_healthz_needs_no_dependency(client, settings):
    settings.MONGO_URL = "mongodb://127.0.0.1:9/"
    assert client.get("/healthz").status_code == 200


def test_fixed_window_counts_in_redis_and_refuses_past_the_limit(redis_client):
    states = [window_hit("login:x", limit=2, window_s=60) for _ in range(3)]

    assert [s.allowed for s in states] == [True, True, False]
    assert 0 < states[-1].retry_after_s <= 60
    assert not window_peek("login:x", limit=2).allowed
    window_reset("login:x")
    assert window_peek("login:x", limit=2).allowed


def test_rate_limits_fail_open_when_redis_is_down(redis_down):
    state = window_hit("any", limit=1, window_s=60)
    closed = window_hit("any", limit=1, window_s=60, fail_open=False)

    assert state.allowed
    assert not closed.allowed


def test_index_creation_waits_for_an_unreachable_mongodb_then_says_so(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.MONGO_URL = "mongodb://127.0.0.1:9/"
    settings.MONGO_TIMEOUT_MS = 200
    started = time.monotonic()
    try:
        with pytest.raises(CommandError, match="MongoDB unreachable"):
            call_command("ensure_indexes", wait=2.5)
    finally:
        _client.cache_clear()

    assert time.monotonic() - started >= 2.0  # it kept trying before giving up


def test_djangos_cache_is_redis_through_django_redis_and_stores_json(redis_client):
    from django.core.cache import cache

    cache.set("storage-test", {"menu": [1, 2]}, timeout=30)
    try:
        stored = list(redis_client.scan_iter(match="*storage-test", count=500))
        assert len(stored) == 1  # in the platform's Redis, not in this process
        assert redis_client.get(stored[0]) == '{"menu": [1, 2]}'  # JSON, never a pickle
        assert cache.get("storage-test") == {"menu": [1, 2]}
    finally:
        cache.delete("storage-test")


def test_the_raw_client_comes_from_django_redis_and_answers_text(redis_client):
    from django_redis import get_redis_connection

    assert redis_client is get_redis_connection("redis")
    redis_client.set(redis_key("raw"), "value", ex=30)
    assert redis_client.get(redis_key("raw")) == "value"


def test_a_lua_script_runs_by_its_sha_and_is_loaded_again_when_the_server_forgot_it(redis_client):
    import asyncio

    from common.redis_client import LuaScript, get_async_redis

    script = LuaScript("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}")
    key = redis_key("lua")
    assert script.run(redis_client, [key], ["sync"]) == [key, "sync", 1]
    redis_client.script_flush()  # as after a Redis restart or failover
    assert script.run(redis_client, [key], ["again"]) == [key, "again", 2]

    async def from_the_loop():
        client = get_async_redis()
        first = await script.run_async(client, [key], ["async"])
        await client.script_flush()
        return first, await script.run_async(client, [key], ["async again"])

    assert asyncio.run(from_the_loop()) == ([key, "async", 3], [key, "async again", 4])
