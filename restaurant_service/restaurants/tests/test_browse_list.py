"""The list of restaurants by name is paged from a ranked index (restaurants/browse.py): its count and
page cost the same among any number of restaurants, in the store's order, those not taking orders
last (issue #42)."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from common import ranked_index
from restaurants import browse, pause, repository
from restaurants.tests.helpers import create_restaurant


def _names(client, **params) -> list[str]:
    response = client.get("/restaurants", params)
    assert response.status_code == 200, response.content
    return [r["name"] for r in response.json()["results"]]


def test_the_count_comes_from_the_index_not_a_count_of_the_store(api_client, owner, mongo_db):
    for name in ("Alpha", "Bravo", "Charlie"):
        create_restaurant(api_client, owner[1], name=name)
    assert api_client.get("/restaurants").json()["count"] == 3
    stored = mongo_db["restaurants"].find_one({"name": "Alpha"})
    mongo_db["restaurants"].insert_one({**stored, "_id": ObjectId(), "name": "Aardvark", "name_key": "aardvark"})

    assert api_client.get("/restaurants").json()["count"] == 3  # the index answered

    ranked_index.forget(browse.key())
    assert _names(api_client) == ["Aardvark", "Alpha", "Bravo", "Charlie"]  # rebuilt from the store


def test_a_renamed_restaurant_moves_in_the_list(api_client, owner):
    alpha = create_restaurant(api_client, owner[1], name="Alpha")
    create_restaurant(api_client, owner[1], name="Bravo")
    assert _names(api_client) == ["Alpha", "Bravo"]

    api_client.patch(f"/restaurants/{alpha['id']}", {"name": "Zulu"}, format="json", headers=owner[1])

    assert _names(api_client) == ["Bravo", "Zulu"]


@pytest.mark.parametrize("page_size", [1, 2, 3, 5])
def test_pages_follow_the_stores_order_with_resting_restaurants_last(api_client, owner, mongo_db, page_size):
    names = ["echo", "Alpha", "delta", "Bravo", "alpha", "Charlie", "foxtrot", "Golf"]
    made = {name: create_restaurant(api_client, owner[1], name=name) for name in names}
    api_client.post(f"/restaurants/{made['delta']['id']}/pause", {"minutes": 30}, format="json", headers=owner[1])
    api_client.patch(
        f"/restaurants/{made['Alpha']['id']}", {"accepting_orders": False}, format="json", headers=owner[1]
    )
    api_client.post(f"/restaurants/{made['Golf']['id']}/pause", {"minutes": 30}, format="json", headers=owner[1])
    api_client.delete(f"/restaurants/{made['Golf']['id']}/pause", headers=owner[1])  # taking orders again
    over = datetime.now(UTC) - timedelta(minutes=1)  # a pause that has run out by itself
    api_client.post(f"/restaurants/{made['echo']['id']}/pause", {"minutes": 30}, format="json", headers=owner[1])
    mongo_db["restaurants"].update_one({"_id": ObjectId(made["echo"]["id"])}, {"$set": {"paused_until": over}})

    shown = []
    for number in range(1, 10):
        shown += _names(api_client, page=number, page_size=page_size) if number * page_size < 8 + page_size else []

    count, expected = repository.restaurants_page(mongo_db, query={}, skip=0, limit=20, at=pause.now())
    assert count == 8
    assert shown == [r["name"] for r in expected]
    assert shown[-2:] == ["Alpha", "delta"]


def test_open_slots_live_beside_the_restaurant_and_still_answer_open_now(api_client, owner, mongo_db):
    always = create_restaurant(api_client, owner[1], name="Always")
    never_now = [{"day": (datetime.now(UTC).weekday() + 3) % 7, "open": "10:00", "close": "11:00"}]
    create_restaurant(api_client, owner[1], name="Sometimes", opening_hours=never_now)

    stored = mongo_db["restaurants"].find_one({"_id": ObjectId(always["id"])})
    assert "open_slots" not in stored  # the list reads small documents
    assert len(mongo_db["restaurant_slots"].find_one({"_id": ObjectId(always["id"])})["open_slots"]) == 672

    assert _names(api_client, open_now="true") == ["Always"]
    assert _names(api_client) == ["Always", "Sometimes"]


def test_a_pause_that_ran_out_is_unmarked_by_the_next_list(api_client, owner, mongo_db):
    made = create_restaurant(api_client, owner[1], name="Echo")
    api_client.post(f"/restaurants/{made['id']}/pause", {"minutes": 30}, format="json", headers=owner[1])
    oid = ObjectId(made["id"])
    assert mongo_db["restaurants"].find_one({"_id": oid})["resting"] == repository.RESTING
    over = datetime.now(UTC) - timedelta(minutes=1)
    mongo_db["restaurants"].update_one({"_id": oid}, {"$set": {"paused_until": over}})

    assert _names(api_client) == ["Echo"]

    assert mongo_db["restaurants"].find_one({"_id": oid})["resting"] == repository.TAKING
    assert repository.restaurants_marked_resting(mongo_db) == []
