"""The list of restaurants by name is paged from a ranked index (restaurants/browse.py): its count and
page cost the same among any number of restaurants, in the store's order, those not taking orders
last (issue #42)."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from common import background, ranked_index, trigram_index
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


# --- with filters: a cuisine's restaurants (one set per cuisine) and a name's (the names' trigrams,
# or the names walked in Redis for one or two characters)


def _made_city(api_client, owner, mongo_db) -> dict:
    """Restaurants of three cuisines, two of them not taking orders, one whose pause ran out."""
    rows = [
        ("Thai Garden", "thai"),
        ("thai basil", "Thai"),
        ("Bangkok Kitchen", "thai"),
        ("Pho Kitchen", "vietnamese"),
        ("Saigon", "vietnamese"),
        ("Kitchen Alpha", "italian"),
        ("Pasta Kitchen", "italian"),
        ("Roma", "italian"),
        ("kitchen zero", "thai"),
        ("Café Müller", "german"),
        ("Straße Kitchen", "german"),
        ("ΩMEGA Grill", "greek"),
    ]
    made = {name: create_restaurant(api_client, owner[1], name=name, cuisine=cuisine) for name, cuisine in rows}
    api_client.post(f"/restaurants/{made['Thai Garden']['id']}/pause", {"minutes": 30}, format="json", headers=owner[1])
    api_client.patch(
        f"/restaurants/{made['Pasta Kitchen']['id']}", {"accepting_orders": False}, format="json", headers=owner[1]
    )
    api_client.post(f"/restaurants/{made['Saigon']['id']}/pause", {"minutes": 30}, format="json", headers=owner[1])
    over = datetime.now(UTC) - timedelta(minutes=1)
    mongo_db["restaurants"].update_one({"_id": ObjectId(made["Saigon"]["id"])}, {"$set": {"paused_until": over}})
    return made


FILTERS = [
    {"cuisine": "thai"},
    {"cuisine": "italian"},
    {"cuisine": "thai,vietnamese"},
    {"cuisine": "none of these"},
    {"q": "kitchen"},
    {"q": "KITCHEN"},
    {"q": "a"},
    {"q": "zzz"},
    {"q": "kitchen", "cuisine": "italian"},
    {"q": "ai", "cuisine": "thai,italian"},
    # Three characters or more: from the names' trigrams (restaurants/browse.py); shorter: walked.
    {"q": "itc"},
    {"q": "n k"},
    {"q": "MÜLLER"},
    {"q": "é m"},
    {"q": "STRASSE"},
    {"q": "straẞe"},
    {"q": "ωmega"},
    {"q": "ß"},
    {"q": "ki"},
    {"q": "kitchen", "cuisine": "german,italian"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=[str(f) for f in FILTERS])
@pytest.mark.parametrize("page_size", [1, 2, 20])
@pytest.mark.parametrize("walk_share", [trigram_index.WALK_SHARE, -1.0], ids=["common-walk", "always-trigrams"])
def test_filtered_pages_follow_the_stores_order_with_resting_restaurants_last(
    api_client, owner, mongo_db, filters, page_size, walk_share, monkeypatch
):
    # Among a dozen names most texts are common (walked); -1 makes every one of three letters or
    # more come from the trigrams' sets.
    monkeypatch.setattr(trigram_index, "WALK_SHARE", walk_share)
    _made_city(api_client, owner, mongo_db)
    assert browse.refresh_trigrams() == "built"  # the background pass
    cuisines = [c.strip().lower() for c in filters.get("cuisine", "").split(",") if c.strip()]
    query = repository.browse_filter(text=filters.get("q"), cuisines=cuisines, open_slot=None)
    count, expected = repository.restaurants_page(mongo_db, query=query, skip=0, limit=20, at=pause.now())

    shown, counts = [], set()
    for number in range(1, 11):
        if (number - 1) * page_size >= max(count, 1):
            break
        response = api_client.get("/restaurants", {**filters, "page": number, "page_size": page_size})
        assert response.status_code == 200, response.content
        counts.add(response.json()["count"])
        shown += [r["name"] for r in response.json()["results"]]

    assert counts == {count}
    assert shown == [r["name"] for r in expected]


def test_a_cuisines_count_comes_from_its_index_not_a_count_of_the_store(api_client, owner, mongo_db):
    for name in ("Alpha", "Bravo"):
        create_restaurant(api_client, owner[1], name=name, cuisine="thai")
    create_restaurant(api_client, owner[1], name="Charlie", cuisine="italian")
    assert api_client.get("/restaurants", {"cuisine": "thai"}).json()["count"] == 2
    assert api_client.get("/restaurants", {"q": "a"}).json()["count"] == 3
    stored = mongo_db["restaurants"].find_one({"name": "Alpha"})
    mongo_db["restaurants"].insert_one({**stored, "_id": ObjectId(), "name": "Aardvark", "name_key": "aardvark"})

    assert api_client.get("/restaurants", {"cuisine": "thai"}).json()["count"] == 2  # the index answered
    assert api_client.get("/restaurants", {"q": "a"}).json()["count"] == 3

    ranked_index.forget(browse.key(), browse.cuisine_key("thai"))
    assert _names(api_client, cuisine="thai") == ["Aardvark", "Alpha", "Bravo"]  # rebuilt from the store
    assert api_client.get("/restaurants", {"q": "a"}).json()["count"] == 4


def test_a_restaurant_that_changes_cuisine_moves_between_the_cuisines_lists(api_client, owner):
    alpha = create_restaurant(api_client, owner[1], name="Alpha", cuisine="thai")
    create_restaurant(api_client, owner[1], name="Bravo", cuisine="italian")
    assert _names(api_client, cuisine="thai") == ["Alpha"]
    assert _names(api_client, cuisine="italian") == ["Bravo"]

    api_client.patch(
        f"/restaurants/{alpha['id']}", {"cuisine": "Italian", "name": "Zulu"}, format="json", headers=owner[1]
    )

    assert _names(api_client, cuisine="thai") == []
    assert _names(api_client, cuisine="italian") == ["Bravo", "Zulu"]
    assert _names(api_client, q="alpha") == []
    assert _names(api_client, q="zul") == ["Zulu"]


def test_a_name_is_matched_literally_never_as_a_pattern(api_client, owner):
    create_restaurant(api_client, owner[1], name="A.B (Kitchen)*")
    create_restaurant(api_client, owner[1], name="AxB Kitchen")

    assert _names(api_client, q="a.b") == ["A.B (Kitchen)*"]
    assert _names(api_client, q="(kitchen)*") == ["A.B (Kitchen)*"]
    assert _names(api_client, q="%") == []


def test_renamed_and_added_restaurants_are_found_by_their_new_names_only(api_client, owner):
    garden = create_restaurant(api_client, owner[1], name="Thai Garden", cuisine="thai")
    create_restaurant(api_client, owner[1], name="Garden Bistro", cuisine="french")
    assert _names(api_client, q="garden") == ["Garden Bistro", "Thai Garden"]  # the index is built

    api_client.patch(f"/restaurants/{garden['id']}", {"name": "Zanzibar Grill"}, format="json", headers=owner[1])
    create_restaurant(api_client, owner[1], name="Grill Zone", cuisine="thai")

    assert _names(api_client, q="garden") == ["Garden Bistro"]
    assert _names(api_client, q="thai") == []
    assert _names(api_client, q="zanzibar") == ["Zanzibar Grill"]
    assert _names(api_client, q="grill") == ["Grill Zone", "Zanzibar Grill"]
    assert _names(api_client, q="grill", cuisine="thai") == ["Grill Zone", "Zanzibar Grill"]

    api_client.patch(f"/restaurants/{garden['id']}", {"cuisine": "French"}, format="json", headers=owner[1])
    assert _names(api_client, q="grill", cuisine="thai") == ["Grill Zone"]
    assert _names(api_client, q="grill", cuisine="french") == ["Zanzibar Grill"]


def test_a_restaurant_stored_behind_the_indexes_is_found_once_they_are_forgotten(api_client, owner, mongo_db):
    create_restaurant(api_client, owner[1], name="Kitchen Alpha")
    assert _names(api_client, q="kitchen") == ["Kitchen Alpha"]
    stored = mongo_db["restaurants"].find_one({"name": "Kitchen Alpha"})
    mongo_db["restaurants"].insert_one(
        {**stored, "_id": ObjectId(), "name": "Kitchen Zero", "name_key": "kitchen zero"}
    )

    browse.forget()

    assert _names(api_client, q="kitchen") == ["Kitchen Alpha", "Kitchen Zero"]
    assert _names(api_client, q="zer") == ["Kitchen Zero"]


def _redis_calls(redis_client) -> dict:
    """Calls per command so far (INFO commandstats: a script's commands counted one by one)."""
    return {name.removeprefix("cmdstat_"): s["calls"] for name, s in redis_client.info("commandstats").items()}


def test_a_rare_name_is_found_without_walking_every_name(api_client, owner, mongo_db, redis_client):
    mongo_db["restaurants"].insert_many(
        [
            {"name": f"Growth Kitchen {n}", "name_key": f"growth kitchen {n}", "cuisine": "bench"}
            | {"owner_id": owner[0], "accepting_orders": True, "paused_until": None, "resting": repository.TAKING}
            for n in range(3000)
        ]
    )
    create_restaurant(api_client, owner[1], name="Zanzibar Grill")
    assert _names(api_client, q="Zanzibar") == ["Zanzibar Grill"]  # walks, builds the list
    assert browse.refresh_trigrams() == "built"  # the background pass

    before = _redis_calls(redis_client)
    assert _names(api_client, q="Zanzibar") == ["Zanzibar Grill"]
    after = _redis_calls(redis_client)

    used = {name: n - before.get(name, 0) for name, n in after.items() if n != before.get(name, 0)}
    # The 3,001 names walked a thousand at a time take four ZRANGEs; the one candidate, one look-up.
    assert used.get("zrange", 0) <= 1, used
    assert used.get("zmscore", 0) <= 1, used


def test_a_common_name_walks_the_names_rather_than_its_many_candidates(api_client, owner, mongo_db, redis_client):
    create_restaurant(api_client, owner[1], name="Zanzibar Grill")
    stored = {k: v for k, v in mongo_db["restaurants"].find_one({"name": "Zanzibar Grill"}).items() if k != "_id"}
    mongo_db["restaurants"].insert_many(
        [{**stored, "name": f"Growth Kitchen {n}", "name_key": f"growth kitchen {n}"} for n in range(3000)]
    )
    browse.forget()
    expected = [f"Growth Kitchen {n}" for n in sorted(range(3000), key=str)[40:60]]
    assert _names(api_client, q="Kitchen", page=3, page_size=20) == expected  # walks, builds the list
    assert browse.refresh_trigrams() == "built"  # the background pass

    before = _redis_calls(redis_client)
    assert _names(api_client, q="Kitchen", page=3, page_size=20) == expected
    after = _redis_calls(redis_client)

    used = {name: n - before.get(name, 0) for name, n in after.items() if n != before.get(name, 0)}
    # 3,000 candidates cost more than the walk of the 3,001 names (four ZRANGEs, a thousand each).
    assert "sinter" not in used, used
    assert "zmscore" not in used, used
    assert used.get("zrange") == 4, used


def test_a_request_that_finds_no_name_index_walks_and_the_background_pass_builds_it(
    api_client, owner, redis_client, settings, monkeypatch
):
    monkeypatch.setattr(trigram_index, "WALK_SHARE", -1.0)  # two names: every text would be common
    create_restaurant(api_client, owner[1], name="Zanzibar Grill")
    create_restaurant(api_client, owner[1], name="Kitchen Alpha")
    index = browse.trigrams()

    before = _redis_calls(redis_client)
    assert _names(api_client, q="zanzibar") == ["Zanzibar Grill"]
    used = {name: n - before.get(name, 0) for name, n in _redis_calls(redis_client).items() if n != before.get(name, 0)}
    assert not redis_client.exists(index.marker), used  # never built by a request
    assert "sadd" not in used, used

    (loop,) = [loop for loop in background.declared_loops() if loop.name == "browse-trigrams"]
    assert loop.run() == "built"
    assert loop.run() == "fresh"
    settings.RESTAURANT_BROWSE_TTL_S = 7200  # expires within half its lifetime: renewed
    assert loop.run() == "refreshed"

    before = _redis_calls(redis_client)
    assert _names(api_client, q="zanzibar") == ["Zanzibar Grill"]
    used = {name: n - before.get(name, 0) for name, n in _redis_calls(redis_client).items() if n != before.get(name, 0)}
    assert used.get("sinter") == 1, used
