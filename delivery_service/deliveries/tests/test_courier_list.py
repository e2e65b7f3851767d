"""The operators' list of couriers is paged from a ranked index (deliveries/courier_list.py): its count
and page cost the same among any number of couriers, in id order (issue #42)."""

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from common import ranked_index
from deliveries import courier_list


@pytest.fixture
def operator_headers(issue_token):
    return {"Authorization": f"Bearer {issue_token('operator', sub=str(ObjectId()))}"}


def _page(api_client, headers, **params) -> dict:
    response = api_client.get("/operator/couriers", params, headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_count_and_pages_come_from_the_index_in_id_order(api_client, actors, operator_headers, mongo_db):
    made = []
    for n in range(3):
        courier_id, headers = actors.user("couriers", f"C{n}")
        assert api_client.get("/couriers/me", headers=headers).status_code == 200
        made.append(courier_id)
    assert _page(api_client, operator_headers)["count"] == 3
    stored = mongo_db["couriers"].find_one({"_id": made[0]})
    mongo_db["couriers"].insert_one({**stored, "_id": "0" * 24})

    assert _page(api_client, operator_headers)["count"] == 3  # the index answered, not a count of the store

    ranked_index.forget(courier_list.key())
    pages = [_page(api_client, operator_headers, page=n, page_size=2)["results"] for n in (1, 2)]
    assert [row["id"] for page in pages for row in page] == sorted([*made, "0" * 24])


def test_a_couriers_deliveries_count_and_page_from_the_index_newest_first(api_client, actors, mongo_db):
    courier_id, headers = actors.user("couriers", "Dee")
    documents = [
        {
            "_id": ObjectId(),
            "order_id": str(ObjectId()),
            "courier_id": courier_id,
            "status": "delivered",
            "pickup": None,
            "dropoff": None,
            "history": [],
            "created_at": datetime(2026, 1, 1, 12, n, tzinfo=UTC),
            "updated_at": datetime(2026, 1, 1, 12, n, tzinfo=UTC),
        }
        for n in range(4)
    ]
    mongo_db["deliveries"].insert_many(documents[:3])

    first = api_client.get("/deliveries", headers=headers).json()
    assert first["count"] == 3
    assert [d["id"] for d in first["results"]] == [str(d["_id"]) for d in reversed(documents[:3])]

    mongo_db["deliveries"].insert_one(documents[3])
    assert api_client.get("/deliveries", headers=headers).json()["count"] == 3  # the index answered

    ranked_index.forget(courier_list.deliveries_key(courier_id))
    page = api_client.get("/deliveries", {"page_size": 2}, headers=headers).json()
    assert page["count"] == 4
    assert [d["id"] for d in page["results"]] == [str(documents[3]["_id"]), str(documents[2]["_id"])]


# --- on duty or off it (`?available=`): a ranked index per duty ------------------------------------------


def _on_duty(api_client, headers, available: bool) -> None:
    response = api_client.patch("/couriers/me", {"available": available}, format="json", headers=headers)
    assert response.status_code == 200, response.content


def _ids(api_client, headers, **params) -> list[str]:
    return [row["id"] for row in _page(api_client, headers, **params)["results"]]


@pytest.mark.parametrize("page_size", [1, 2, 5])
def test_couriers_on_or_off_duty_count_and_page_from_their_index_in_id_order(
    api_client, actors, operator_headers, mongo_db, page_size
):
    on, off = [], []
    for n in range(5):
        courier_id, headers = actors.user("couriers", f"D{n}")
        _on_duty(api_client, headers, n % 2 == 0)
        (on if n % 2 == 0 else off).append(courier_id)
    for available, expected in (("true", sorted(on)), ("false", sorted(off))):
        shown = []
        for number in range(1, 6):
            if (number - 1) * page_size < len(expected):
                found = _page(api_client, operator_headers, available=available, page=number, page_size=page_size)
                assert found["count"] == len(expected)
                shown += [row["id"] for row in found["results"]]
        assert shown == expected
    stored = mongo_db["couriers"].find_one({"_id": on[0]})
    mongo_db["couriers"].insert_one({**stored, "_id": "0" * 24})

    assert _page(api_client, operator_headers, available="true")["count"] == 3  # the index answered

    ranked_index.forget(courier_list.duty_key(True))
    assert _ids(api_client, operator_headers, available="true") == sorted([*on, "0" * 24])  # rebuilt


def test_a_courier_going_on_and_off_duty_moves_between_the_lists(api_client, actors, operator_headers):
    courier_id, headers = actors.user("couriers", "Mover")
    _on_duty(api_client, headers, False)
    assert _ids(api_client, operator_headers, available="false") == [courier_id]
    assert _ids(api_client, operator_headers, available="true") == []

    _on_duty(api_client, headers, True)
    assert _ids(api_client, operator_headers, available="true") == [courier_id]
    assert _ids(api_client, operator_headers, available="false") == []

    _on_duty(api_client, headers, False)
    assert _ids(api_client, operator_headers, available="true") == []
    assert _page(api_client, operator_headers, available="false")["count"] == 1


def test_a_courier_listed_under_the_wrong_duty_is_dropped_by_the_page(api_client, actors, operator_headers):
    # A build that read the courier just before they went on duty re-adds them to the list of those off it.
    courier_id, headers = actors.user("couriers", "Stale")
    _on_duty(api_client, headers, True)
    assert _ids(api_client, operator_headers, available="false") == []
    ranked_index.add((courier_list.duty_key(False), courier_id, 0.0))

    found = _page(api_client, operator_headers, available="false")

    assert (found["count"], found["results"]) == (0, [])
    assert _ids(api_client, operator_headers, available="true") == [courier_id]
