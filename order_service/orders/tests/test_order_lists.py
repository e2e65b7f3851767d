"""A customer's history and a kitchen's list are paged from ranked indexes (orders/lists.py): their
count and page cost the same with any number of orders behind them (issue #42)."""

import uuid
from datetime import UTC, datetime

from bson import ObjectId

from common import ranked_index
from orders import lists, repository
from orders.tests.helpers import CUSTOMER, placed, transition


def _history(api_client, issue_token, customer_id=CUSTOMER, **params):
    headers = {"Authorization": f"Bearer {issue_token('customer', sub=customer_id)}"}
    response = api_client.get("/customers/me/orders", params, headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def _stored_behind_the_index(mongo_db, order: dict, **changes) -> ObjectId:
    """An order written straight into the store, as a bulk load would: no writer tells the index."""
    copy = {**order, "_id": ObjectId(), "idempotency_key": uuid.uuid4().hex, **changes}
    copy.pop("id", None)
    return mongo_db["orders"].insert_one(copy).inserted_id


def test_the_history_counts_and_pages_from_the_index_not_the_store(
    api_client, service_headers, issue_token, menu, mongo_db
):
    orders = [placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(3)]
    first = _history(api_client, issue_token)
    assert first["count"] == 3
    assert [o["id"] for o in first["results"]] == [o["id"] for o in reversed(orders)]

    stored = mongo_db["orders"].find_one({"_id": ObjectId(orders[0]["id"])})
    _stored_behind_the_index(mongo_db, stored)
    assert _history(api_client, issue_token)["count"] == 3  # the index answered, not a count of the store

    ranked_index.forget(lists.customer_key(CUSTOMER))
    assert _history(api_client, issue_token)["count"] == 4  # rebuilt from the store when missing

    newer = placed(api_client, service_headers, menu, key="k-new")
    page = _history(api_client, issue_token, page_size=2)
    assert page["count"] == 5
    assert page["results"][0]["id"] == newer["id"]


def test_the_index_pages_in_the_stores_order_even_for_orders_placed_in_the_same_millisecond(
    api_client, service_headers, issue_token, menu, mongo_db
):
    order = placed(api_client, service_headers, menu, key="k-0")
    stored = mongo_db["orders"].find_one({"_id": ObjectId(order["id"])})
    same_time = datetime(2026, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)
    for _ in range(5):
        _stored_behind_the_index(mongo_db, stored, created_at=same_time)
    ranked_index.forget(lists.customer_key(CUSTOMER))

    pages = [_history(api_client, issue_token, page=n, page_size=2)["results"] for n in (1, 2, 3)]

    _count, expected = repository.orders_page(mongo_db, query={"customer_id": CUSTOMER}, skip=0, limit=10)
    assert [o["id"] for page in pages for o in page] == [str(o["_id"]) for o in expected]


def test_the_kitchens_list_shows_a_restaurants_orders_to_its_owner_only(api_client, service_headers, issue_token, menu):
    order = placed(api_client, service_headers, menu, key="k-1")
    rid = menu["restaurant"]["id"]

    def kitchen(owner_id):
        query = {"restaurant_id": rid, "owner_id": owner_id}
        response = api_client.get("/internal/orders", query, headers=service_headers)
        assert response.status_code == 200, response.content
        return response.json()

    mine = kitchen(menu["owner_id"])
    assert mine["count"] == 1
    assert mine["results"][0]["id"] == order["id"]
    assert kitchen("f" * 24)["results"] == []


def _listed(api_client, path: str, params: dict, headers: dict) -> dict:
    response = api_client.get(path, params, headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def _kitchen(api_client, service_headers, menu, **params):
    query = {"restaurant_id": menu["restaurant"]["id"], "owner_id": menu["owner_id"], **params}
    return _listed(api_client, "/internal/orders", query, service_headers)


def test_a_kitchens_list_by_status_counts_and_pages_from_the_index_as_orders_move(
    api_client, service_headers, issue_token, menu, mongo_db
):
    orders = [placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(3)]
    assert _kitchen(api_client, service_headers, menu, status="placed")["count"] == 3
    assert _kitchen(api_client, service_headers, menu, status="accepted")["count"] == 0  # both built

    stored = mongo_db["orders"].find_one({"_id": ObjectId(orders[0]["id"])})
    _stored_behind_the_index(mongo_db, stored)
    assert _kitchen(api_client, service_headers, menu, status="placed")["count"] == 3  # the index answered

    moved = transition(api_client, service_headers, orders[1]["id"], "accepted", "restaurant", menu["owner_id"])
    assert moved.status_code == 200, moved.content
    placed_now = _kitchen(api_client, service_headers, menu, status="placed")
    accepted_now = _kitchen(api_client, service_headers, menu, status="accepted")
    assert [o["id"] for o in placed_now["results"]] == [orders[2]["id"], orders[0]["id"]]
    assert [(o["id"], o["status"]) for o in accepted_now["results"]] == [(orders[1]["id"], "accepted")]
    assert accepted_now["count"] == 1

    ranked_index.forget(lists.restaurant_status_key(menu["restaurant"]["id"], "placed"))
    assert _kitchen(api_client, service_headers, menu, status="placed")["count"] == 3  # rebuilt from the store


def test_an_order_moved_behind_a_kitchens_status_list_leaves_it_when_read(
    api_client, service_headers, issue_token, menu, mongo_db
):
    orders = [placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(3)]
    _kitchen(api_client, service_headers, menu, status="placed")
    mongo_db["orders"].update_one({"_id": ObjectId(orders[2]["id"])}, {"$set": {"status": "accepted"}})

    page = _kitchen(api_client, service_headers, menu, status="placed", page_size=2)

    assert page["count"] == 2
    assert [o["id"] for o in page["results"]] == [orders[1]["id"], orders[0]["id"]]


def test_a_kitchens_list_by_status_is_its_owners_only(api_client, service_headers, menu):
    placed(api_client, service_headers, menu, key="k-1")
    assert _kitchen(api_client, service_headers, menu, status="placed")["count"] == 1
    assert _kitchen(api_client, service_headers, menu, owner_id="f" * 24, status="placed")["results"] == []


# --- the operators' list of the city's orders -------------------------------------------------------------


def _city(api_client, issue_token, **params):
    headers = {"Authorization": f"Bearer {issue_token('operator', sub=str(ObjectId()))}"}
    return _listed(api_client, "/operator/orders", params, headers)


def test_the_city_list_counts_and_pages_live_orders_from_the_index(
    api_client, service_headers, issue_token, menu, mongo_db
):
    orders = [placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(3)]
    assert [o["id"] for o in _city(api_client, issue_token)["results"]] == [o["id"] for o in orders]

    stored = mongo_db["orders"].find_one({"_id": ObjectId(orders[0]["id"])})
    _stored_behind_the_index(mongo_db, stored)
    assert _city(api_client, issue_token)["count"] == 3  # the index answered, not a count of the store

    ranked_index.forget(lists.live_key())
    assert _city(api_client, issue_token)["count"] == 4  # rebuilt from the store when missing

    newer = placed(api_client, service_headers, menu, key="k-new")
    page = _city(api_client, issue_token, page_size=2, page=3)
    assert page["count"] == 5
    assert page["results"][0]["id"] == newer["id"]  # the newest live order comes last


def test_an_order_that_finishes_moves_to_the_finished_part_of_the_city_list(
    api_client, service_headers, issue_token, menu
):
    first, second = (placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(2))
    _city(api_client, issue_token)  # both lists built

    transition(api_client, service_headers, first["id"], "rejected", "restaurant", menu["owner_id"])

    page = _city(api_client, issue_token)
    assert page["count"] == 2
    assert [(o["id"], o["status"]) for o in page["results"]] == [(second["id"], "placed"), (first["id"], "rejected")]


def test_an_order_finished_behind_the_index_leaves_the_live_list_when_read(
    api_client, service_headers, issue_token, menu, mongo_db
):
    """A build that read an order just before it finished (or a writer that died before telling the
    list): the page finds it finished, drops it and reads the page again."""
    orders = [placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(3)]
    _city(api_client, issue_token)
    mongo_db["orders"].update_one({"_id": ObjectId(orders[0]["id"])}, {"$set": {"dispatch": "closed"}})

    page = _city(api_client, issue_token, page_size=2)

    assert page["count"] == 2
    assert [o["id"] for o in page["results"]] == [orders[1]["id"], orders[2]["id"]]


def test_the_city_lists_are_rebuilt_from_the_store_after_their_period_whatever_their_readers(
    api_client, service_headers, issue_token, menu, redis_client, settings
):
    settings.OPERATOR_LISTS_REBUILD_S = 30
    placed(api_client, service_headers, menu, key="k-0")
    _city(api_client, issue_token)
    assert 0 < redis_client.pttl(lists.live_key()) <= 30_000
    assert 0 < redis_client.pttl(lists.finished_key()) <= 30_000
    redis_client.pexpire(lists.live_key(), 5_000)

    _city(api_client, issue_token)

    assert redis_client.pttl(lists.live_key()) <= 5_000  # reading does not keep it alive


def test_the_city_list_of_one_live_status_counts_and_pages_from_the_index_as_orders_move(
    api_client, service_headers, issue_token, menu, mongo_db
):
    orders = [placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(4)]
    assert _city(api_client, issue_token, status="placed")["count"] == 4
    assert _city(api_client, issue_token, status="accepted")["count"] == 0  # both built
    stored = mongo_db["orders"].find_one({"_id": ObjectId(orders[0]["id"])})
    _stored_behind_the_index(mongo_db, stored)
    assert _city(api_client, issue_token, status="placed")["count"] == 4  # the index answered

    for order in orders[1:3]:
        moved = transition(api_client, service_headers, order["id"], "accepted", "restaurant", menu["owner_id"])
        assert moved.status_code == 200, moved.content
    transition(api_client, service_headers, orders[3]["id"], "rejected", "restaurant", menu["owner_id"])

    placed_now = _city(api_client, issue_token, status="placed")
    assert (placed_now["count"], [o["id"] for o in placed_now["results"]]) == (1, [orders[0]["id"]])
    accepted = [_city(api_client, issue_token, status="accepted", page_size=1, page=n) for n in (1, 2)]
    assert [page["count"] for page in accepted] == [2, 2]
    assert [(p["results"][0]["id"], p["results"][0]["status"]) for p in accepted] == [
        (orders[1]["id"], "accepted"),
        (orders[2]["id"], "accepted"),
    ]
    rejected = _city(api_client, issue_token, status="rejected")
    assert [(o["id"], o["status"]) for o in rejected["results"]] == [(orders[3]["id"], "rejected")]

    ranked_index.forget(lists.live_status_key("placed"))
    assert _city(api_client, issue_token, status="placed")["count"] == 2  # rebuilt from the store


def test_an_order_moved_behind_the_city_list_of_its_status_leaves_it_when_read(
    api_client, service_headers, issue_token, menu, mongo_db
):
    orders = [placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(3)]
    _city(api_client, issue_token, status="placed")
    mongo_db["orders"].update_one({"_id": ObjectId(orders[0]["id"])}, {"$set": {"status": "accepted"}})

    page = _city(api_client, issue_token, status="placed", page_size=2)

    assert page["count"] == 2
    assert [o["id"] for o in page["results"]] == [orders[1]["id"], orders[2]["id"]]


# --- the dispatch queue (every dispatch pass reads it) ---------------------------------------------------


def _queue(api_client, service_headers, limit=50) -> list[str]:
    response = api_client.get("/internal/orders/awaiting-courier", {"limit": limit}, headers=service_headers)
    assert response.status_code == 200, response.content
    return [order["id"] for order in response.json()["results"]]


def test_the_dispatch_queue_pages_from_its_index_as_orders_get_and_lose_couriers(
    api_client, service_headers, menu, mongo_db
):
    orders = [placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(3)]
    ids = [o["id"] for o in orders]
    assert _queue(api_client, service_headers) == ids  # oldest first
    copy = _stored_behind_the_index(mongo_db, mongo_db["orders"].find_one({"_id": ObjectId(ids[2])}))
    assert _queue(api_client, service_headers) == ids  # the index answered

    delivery = str(ObjectId())
    given = {"courier_id": "d" * 24, "delivery_id": delivery}
    response = api_client.put(f"/internal/orders/{ids[0]}/courier", given, format="json", headers=service_headers)
    assert response.status_code == 200, response.content
    assert _queue(api_client, service_headers) == ids[1:]
    path = f"/internal/orders/{ids[0]}/courier?delivery_id={delivery}"
    response = api_client.delete(path, headers=service_headers)
    assert response.status_code == 200, response.content
    assert _queue(api_client, service_headers) == ids
    transition(api_client, service_headers, ids[1], "rejected", "restaurant", menu["owner_id"])
    assert _queue(api_client, service_headers, limit=2) == [ids[0], ids[2]]

    ranked_index.forget(lists.waiting_key())
    assert str(copy) in _queue(api_client, service_headers)  # rebuilt from the store


def test_an_order_given_a_courier_behind_the_dispatch_queue_leaves_it_when_read(
    api_client, service_headers, menu, mongo_db
):
    orders = [placed(api_client, service_headers, menu, key=f"k-{n}") for n in range(3)]
    _queue(api_client, service_headers)
    mongo_db["orders"].update_one({"_id": ObjectId(orders[0]["id"])}, {"$set": {"dispatch": "assigned"}})

    assert _queue(api_client, service_headers, limit=2) == [orders[1]["id"], orders[2]["id"]]
