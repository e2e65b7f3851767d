"""The delivery service's queries that must not grow with the data are served by their indexes
(`explain()`, on the local store and on MongoDB): issue #42."""

from common.testing.explain import assert_uses_index, filler
from deliveries import repository


def test_a_page_of_couriers_is_read_by_id(mongo_db):
    filler(mongo_db["couriers"], available=False)
    assert_uses_index(mongo_db["couriers"].find({"_id": {"$in": ["a" * 24, "b" * 24]}}), "_id_")


def test_a_couriers_deliveries_are_found_by_the_courier_index(mongo_db):
    filler(mongo_db["deliveries"], courier_id="someone else", order_id="x")
    assert_uses_index(mongo_db["deliveries"].find({"courier_id": "c" * 24}), "courier")


def test_free_couriers_are_found_by_the_on_duty_index(mongo_db):
    filler(mongo_db["couriers"], available=False, duty=repository.OFF_DUTY)
    cursor = mongo_db["couriers"].find({"duty": repository.ON_DUTY, "available": True})
    assert_uses_index(cursor.sort([("available_since", 1), ("_id", 1)]), "on_duty")
    assert repository.couriers_free(mongo_db, limit=5) == []


def test_duty_is_written_with_availability(mongo_db):
    repository.courier_insert(mongo_db, document={"_id": "k" * 24, "available": False, "available_since": None})
    assert repository.courier_get(mongo_db, courier_id="k" * 24)["duty"] == repository.OFF_DUTY
    updated = repository.courier_update(mongo_db, courier_id="k" * 24, changes={"available": True})
    assert updated["duty"] == repository.ON_DUTY
    assert [c["_id"] for c in repository.couriers_free(mongo_db, limit=5)] == ["k" * 24]


def test_the_list_of_couriers_on_or_off_duty_is_built_from_the_on_duty_index(mongo_db):
    filler(mongo_db["couriers"], available=False, duty=repository.OFF_DUTY, _id=lambda n: f"{n:024d}")
    assert_uses_index(repository.courier_ids(mongo_db, duty=repository.ON_DUTY), "on_duty")
