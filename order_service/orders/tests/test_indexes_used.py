"""The order service's queries that must not grow with the data are served by their indexes
(`explain()`, on the local store and on MongoDB): issue #42."""

from bson import ObjectId

from common.testing.explain import assert_uses_index, filler
from orders import repository


def test_a_customers_history_is_built_from_the_customer_history_index(mongo_db):
    filler(mongo_db["orders"], customer_id="someone else", restaurant_id="elsewhere", idempotency_key=str)
    assert_uses_index(repository.orders_listed(mongo_db, query={"customer_id": "c" * 24}), "customer_history")


def test_a_kitchens_list_is_built_from_the_restaurant_orders_index(mongo_db):
    filler(mongo_db["orders"], customer_id="someone else", restaurant_id="elsewhere", idempotency_key=str)
    assert_uses_index(repository.orders_listed(mongo_db, query={"restaurant_id": "r" * 24}), "restaurant_orders")


def test_a_page_of_orders_is_read_by_id(mongo_db):
    filler(mongo_db["orders"], customer_id="someone else", restaurant_id="elsewhere", idempotency_key=str)
    assert_uses_index(mongo_db["orders"].find({"_id": {"$in": [ObjectId(), ObjectId()]}}), "_id_")
