"""Positions at the cost of a read: Redis is the live truth, MongoDB a copy written behind
(deliveries/tracking.py), against the real Redis and store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deliveries import repository, tracking

NEAR = (52.371, 4.891)
LATER = (52.372, 4.892)


def _at(api_client, headers, position, **extra):
    lat, lng = position
    return api_client.post("/couriers/me/location", {"lat": lat, "lng": lng}, format="json", headers=headers, **extra)


def _stored(mongo_db, courier_id):
    return repository.courier_get(mongo_db, courier_id=courier_id).get("location")


def test_a_position_is_seen_at_once_and_mongodb_catches_up(api_client, kai, mongo_db):
    courier_id, headers = kai

    assert _at(api_client, headers, NEAR).status_code == 204
    shown = api_client.get("/couriers/me", headers=headers).json()["location"]
    before = _stored(mongo_db, courier_id)
    written = tracking.persist_positions()
    after = _stored(mongo_db, courier_id)

    assert (shown["lat"], shown["lng"]) == NEAR  # from Redis, before MongoDB has it
    assert before is None
    assert written == 1
    assert (after["lat"], after["lng"]) == NEAR
    assert tracking.persist_positions() == 0  # nothing new to write


def test_a_redis_loss_loses_at_most_the_positions_not_yet_written(api_client, kai, mongo_db, redis_client, settings):
    courier_id, headers = kai
    _at(api_client, headers, NEAR)
    tracking.persist_positions()
    _at(api_client, headers, LATER)  # reported, not written behind yet...
    lost = list(redis_client.scan_iter(match=settings.REDIS_KEY_PREFIX + "couriers:*"))
    redis_client.delete(*lost)  # ...when Redis loses its data

    tracking.persist_positions()
    shown = api_client.get("/couriers/me", headers=headers).json()["location"]

    assert (shown["lat"], shown["lng"]) == NEAR  # MongoDB's copy: one window behind, never worse
    assert (_stored(mongo_db, courier_id)["lat"], _stored(mongo_db, courier_id)["lng"]) == NEAR


def test_writing_behind_never_moves_a_position_back(api_client, kai, mongo_db, redis_client):
    courier_id, headers = kai
    _at(api_client, headers, NEAR)
    newer = {"lat": 1.0, "lng": 1.0, "at": datetime.now(UTC) + timedelta(minutes=1)}
    repository.courier_set_location(mongo_db, courier_id=courier_id, location=newer)  # written by a later report

    tracking.persist_positions()

    assert _stored(mongo_db, courier_id)["lat"] == 1.0


def test_a_writer_that_crashes_mid_batch_leaves_the_work_for_the_next(api_client, kai, mongo_db):
    from common import faults

    courier_id, headers = kai
    _at(api_client, headers, NEAR)

    with faults.armed("positions.before_write", faults.CRASH), pytest.raises(faults.InjectedCrash):
        tracking.persist_positions()

    assert tracking.persist_positions() == 1
    assert _stored(mongo_db, courier_id)["lat"] == NEAR[0]


def test_without_redis_a_report_goes_to_mongodb_directly(api_client, kai, mongo_db, redis_down):
    courier_id, headers = kai

    assert _at(api_client, headers, NEAR).status_code == 204
    assert (_stored(mongo_db, courier_id)["lat"], _stored(mongo_db, courier_id)["lng"]) == NEAR


def test_only_couriers_report_positions_and_a_form_still_works(api_client, kai, issue_token):
    customer = {"Authorization": f"Bearer {issue_token('customer')}"}

    assert (
        api_client.post("/couriers/me/location", {"lat": 1, "lng": 1}, format="json", headers=customer).status_code
        == 403
    )
    assert api_client.post("/couriers/me/location", {"lat": 1, "lng": 1}, format="json").status_code == 401
    form = api_client.post("/couriers/me/location", {"lat": "52.3", "lng": "4.8"}, headers=kai[1])  # multipart
    assert form.status_code == 204
    assert api_client.get("/couriers/me", headers=kai[1]).json()["location"]["lat"] == 52.3
