"""The restaurant service's queries that must not grow with the data are served by their indexes
(`explain()`, on the local store and on MongoDB): issue #42."""

from bson import ObjectId

from common.testing.explain import assert_uses_index, filler
from restaurants import repository


def test_restaurants_not_taking_orders_are_found_by_their_mark(mongo_db):
    filler(mongo_db["restaurants"], resting=repository.TAKING)
    assert_uses_index(mongo_db["restaurants"].find({"resting": repository.RESTING}), "resting")


def test_a_page_of_restaurants_is_read_by_id(mongo_db):
    filler(mongo_db["restaurants"], resting=repository.TAKING)
    assert_uses_index(mongo_db["restaurants"].find({"_id": {"$in": [ObjectId(), ObjectId()]}}), "_id_")


def test_a_menu_is_read_by_its_restaurant(mongo_db):
    filler(mongo_db["menu_items"], restaurant_id=ObjectId())
    cursor = mongo_db["menu_items"].find({"restaurant_id": ObjectId()}).sort(repository.MENU_ORDER)
    assert_uses_index(cursor, "menu")


def test_a_cuisines_list_is_built_from_the_cuisine_browse_index(mongo_db):
    filler(mongo_db["restaurants"], resting=repository.TAKING, cuisine="other", name_key=str)
    assert_uses_index(repository.restaurants_named(mongo_db, cuisine="thai"), "cuisine_browse")
