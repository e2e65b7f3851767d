"""Concurrent address changes against the real server: none lost, exactly one default."""

from concurrent.futures import ThreadPoolExecutor

from profiles import repository, services

ADDRESS = {"label": "L", "line1": "1 Main St", "city": "C", "postcode": "1", "lat": 0.0, "lng": 0.0}


def test_parallel_adds_keep_every_address_and_one_default(mongo_db):
    repository.profile_insert(mongo_db, customer_id="c1", name="C", email="c@example.com", now=services._now())

    with ThreadPoolExecutor(max_workers=4) as pool:
        added = list(
            pool.map(
                lambda n: services.address_add(
                    customer_id="c1", data={**ADDRESS, "label": f"A{n}", "is_default": n % 2 == 0}
                ),
                range(8),
            )
        )

    stored = services.addresses_list(customer_id="c1")
    assert {a["id"] for a in stored} == {a["id"] for a in added}
    assert sum(a["is_default"] for a in stored) == 1


def test_deleting_the_default_makes_the_oldest_remaining_one_default(mongo_db):
    repository.profile_insert(mongo_db, customer_id="c2", name="C", email="c@example.com", now=services._now())
    first = services.address_add(customer_id="c2", data=ADDRESS)
    second = services.address_add(customer_id="c2", data=ADDRESS)
    third = services.address_add(customer_id="c2", data={**ADDRESS, "is_default": True})

    services.address_delete(customer_id="c2", address_id=str(third["id"]))

    stored = services.addresses_list(customer_id="c2")
    assert [(a["id"], a["is_default"]) for a in stored] == [(first["id"], True), (second["id"], False)]
