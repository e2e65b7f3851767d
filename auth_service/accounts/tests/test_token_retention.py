"""Retention of refresh-token families (accounts/background.py): those expired before yesterday are
deleted in passes served by an index; a family lives as long as its newest refresh token (issue #42)."""

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from accounts import repository, services
from common.testing.explain import assert_uses_index, filler

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _family(db, family_id: str, expires_at: datetime) -> None:
    repository.family_create(
        db,
        family_id=family_id,
        account_id=ObjectId(),
        user_type="customer",
        jti=f"{family_id}-jti",
        now=expires_at - timedelta(days=7),
        expires_at=expires_at,
    )


def test_families_expired_before_yesterday_are_deleted_the_others_kept(mongo_db):
    _family(mongo_db, "long-gone", NOW - timedelta(days=30))
    _family(mongo_db, "gone", NOW - timedelta(days=2))
    _family(mongo_db, "yesterday", NOW - timedelta(days=1))
    _family(mongo_db, "live", NOW + timedelta(days=3))

    assert services.token_families_prune(now=NOW) == 2

    left = sorted(f["_id"] for f in mongo_db["token_families"].find({}))
    assert left == ["live", "yesterday"]


def test_a_rotated_family_lives_as_long_as_its_newest_token(mongo_db):
    _family(mongo_db, "rotated", NOW - timedelta(days=3))
    assert repository.family_rotate(
        mongo_db,
        family_id="rotated",
        presented_jti="rotated-jti",
        new_jti="new",
        now=NOW,
        expires_at=NOW + timedelta(days=7),
    )

    assert services.token_families_prune(now=NOW) == 0
    assert repository.family_get(mongo_db, family_id="rotated")["expires_day"] == "2026-12-12"


def test_a_retention_pass_reads_the_expiry_index(mongo_db):
    filler(mongo_db["token_families"], expires_day="2100-01-01")
    query = {"expires_day": {"$in": ["2026-12-01", "2026-12-02"]}}
    assert_uses_index(mongo_db["token_families"].find(query), "expiry")
