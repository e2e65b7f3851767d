"""The order service's queries that must not grow with the data are served by their indexes
(`explain()`, on the local store and on MongoDB): issue #42."""

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from common.testing.explain import assert_uses_index, filler
from orders import repository


def test_a_customers_history_is_built_from_the_customer_history_index(mongo_db):
    filler(mongo_db["orders"], customer_id="someone else", restaurant_id="elsewhere", idempotency_key=str)
    assert_uses_index(repository.orders_listed(mongo_db, query={"customer_id": "c" * 24}), "customer_history")


def test_a_kitchens_list_is_built_from_the_restaurant_orders_index(mongo_db):
    filler(mongo_db["orders"], customer_id="someone else", restaurant_id="elsewhere", idempotency_key=str)
    assert_uses_index(repository.orders_listed(mongo_db, query={"restaurant_id": "r" * 24}), "restaurant_orders")


def test_a_kitchens_list_of_one_status_is_built_from_the_restaurant_orders_index(mongo_db):
    filler(mongo_db["orders"], customer_id="someone else", restaurant_id="elsewhere", idempotency_key=str)
    query = {"restaurant_id": "r" * 24, "status": "delivered"}
    assert_uses_index(repository.orders_listed(mongo_db, query=query), "restaurant_orders")


def test_a_page_of_orders_is_read_by_id(mongo_db):
    filler(mongo_db["orders"], customer_id="someone else", restaurant_id="elsewhere", idempotency_key=str)
    assert_uses_index(mongo_db["orders"].find({"_id": {"$in": [ObjectId(), ObjectId()]}}), "_id_")


@pytest.mark.parametrize("status", [None, "placed"])
def test_the_city_lists_of_live_orders_are_built_from_the_dispatch_index(mongo_db, status):
    filler(
        mongo_db["orders"],
        customer_id="someone else",
        restaurant_id="elsewhere",
        idempotency_key=str,
        dispatch="closed",
        status="delivered",
    )
    assert_uses_index(repository.orders_live_listed(mongo_db, status=status), "dispatch_queue")


def test_the_city_list_of_orders_finished_lately_is_built_from_the_closed_lately_index(mongo_db):
    filler(mongo_db["orders"], customer_id="someone else", restaurant_id="elsewhere", idempotency_key=str)
    since = datetime(2026, 1, 1, 12, tzinfo=UTC)
    listed = repository.orders_closed_listed(mongo_db, since=since, hours=[repository.closed_hour(since)])
    assert_uses_index(listed, "closed_lately")


def test_the_dispatch_queue_is_built_from_the_dispatch_index(mongo_db):
    filler(mongo_db["orders"], customer_id="someone else", restaurant_id="e", idempotency_key=str, dispatch="closed")
    assert_uses_index(repository.orders_dispatch_listed(mongo_db), "dispatch_queue")
