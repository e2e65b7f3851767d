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
