"""Ranked indexes (common/ranked_index.py): a list's page and count from a Redis sorted set, built
from the store when missing, extended by writers only while it exists."""

import pytest

from common import ranked_index
from common.redis_client import redis_key


@pytest.fixture
def key(redis_client):
    return redis_key("ranked-test")


def _entries(n: int):
    return [(f"m{k:02d}", float(k)) for k in range(n)]


@pytest.mark.parametrize(("newest_first", "expected"), [(False, ["m02", "m03"]), (True, ["m07", "m06"])])
def test_a_page_and_the_count_come_from_the_set_built_once(key, newest_first, expected):
    built = []

    def rebuild():
        built.append(1)
        return _entries(10)

    for _ in range(2):
        count, page = ranked_index.page(key, skip=2, limit=2, newest_first=newest_first, rebuild=rebuild, ttl_s=60)
        assert (count, page) == (10, expected)
    assert len(built) == 1


def test_pages_past_the_end_and_the_last_page_never_show_the_marker(key):
    ranked_index.page(key, skip=0, limit=1, newest_first=True, rebuild=lambda: _entries(3), ttl_s=60)
    assert ranked_index.page(key, skip=2, limit=5, newest_first=True, rebuild=list, ttl_s=60) == (3, ["m00"])
    assert ranked_index.page(key, skip=2, limit=5, newest_first=False, rebuild=list, ttl_s=60) == (3, ["m02"])
    assert ranked_index.page(key, skip=3, limit=5, newest_first=False, rebuild=list, ttl_s=60) == (3, [])


def test_writers_add_only_to_a_built_set(redis_client, key):
    ranked_index.add((key, "early", 1.0))
    assert not redis_client.exists(key)  # a later build reads it from the store

    ranked_index.page(key, skip=0, limit=10, newest_first=False, rebuild=lambda: [("a", 0.0)], ttl_s=60)
    ranked_index.add((key, "b", 2.0))
    assert ranked_index.page(key, skip=0, limit=10, newest_first=False, rebuild=list, ttl_s=60) == (2, ["a", "b"])

    ranked_index.forget(key)
    assert not redis_client.exists(key)


def test_a_set_is_forgotten_after_its_lifetime_unread(redis_client, key):
    ranked_index.page(key, skip=0, limit=1, newest_first=False, rebuild=lambda: _entries(2), ttl_s=30)
    assert 0 < redis_client.pttl(key) <= 30_000


def test_without_redis_the_caller_reads_the_store(key, redis_down):
    assert ranked_index.page(key, skip=0, limit=5, newest_first=True, rebuild=lambda: _entries(2), ttl_s=60) is None
    ranked_index.add((key, "x", 1.0))  # best effort: no error


def test_a_set_read_without_sliding_lives_from_its_build(redis_client, key):
    ranked_index.page(key, skip=0, limit=1, newest_first=False, rebuild=lambda: _entries(2), ttl_s=30, slide=False)
    redis_client.pexpire(key, 5_000)
    ranked_index.page(key, skip=0, limit=1, newest_first=False, rebuild=list, ttl_s=30, slide=False)
    assert 0 < redis_client.pttl(key) <= 5_000


def test_a_window_counts_and_pages_members_scored_since_and_forgets_older_ones(redis_client, key):
    found = ranked_index.page_since(key, since=3, skip=1, limit=2, rebuild=lambda: _entries(10), ttl_s=60)
    assert found == (7, ["m08", "m07"])
    assert ranked_index.page_since(key, since=8, skip=0, limit=5, rebuild=list, ttl_s=60) == (2, ["m09", "m08"])
    assert ranked_index.page_since(key, since=8, skip=2, limit=5, rebuild=list, ttl_s=60) == (2, [])
    assert redis_client.zcard(key) == 3  # the two left and the marker: those older have left
    assert 0 < redis_client.pttl(key) <= 60_000


def test_a_member_moves_to_a_second_set_only_if_it_is_built(redis_client, key):
    other = key + ":other"
    ranked_index.page(key, skip=0, limit=5, newest_first=False, rebuild=lambda: _entries(2), ttl_s=60)
    ranked_index.move(key, other, "m00", 5.0)
    assert ranked_index.page(key, skip=0, limit=5, newest_first=False, rebuild=list, ttl_s=60) == (1, ["m01"])
    assert not redis_client.exists(other)

    ranked_index.page_since(other, since=0, skip=0, limit=5, rebuild=list, ttl_s=60)
    ranked_index.move(key, other, "m01", 6.0)
    assert ranked_index.page_since(other, since=0, skip=0, limit=5, rebuild=list, ttl_s=60) == (1, ["m01"])
