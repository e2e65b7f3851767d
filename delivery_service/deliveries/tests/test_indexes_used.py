"""The delivery service's queries that must not grow with the data are served by their indexes
(`explain()`, on the local store and on MongoDB): issue #42."""

from common.testing.explain import assert_uses_index, filler


def test_a_page_of_couriers_is_read_by_id(mongo_db):
    filler(mongo_db["couriers"], available=False)
    assert_uses_index(mongo_db["couriers"].find({"_id": {"$in": ["a" * 24, "b" * 24]}}), "_id_")


def test_a_couriers_deliveries_are_found_by_the_courier_index(mongo_db):
    filler(mongo_db["deliveries"], courier_id="someone else", order_id="x")
    assert_uses_index(mongo_db["deliveries"].find({"courier_id": "c" * 24}), "courier")
