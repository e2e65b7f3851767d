"""Refresh rotation, reuse detection and logout (ARCHITECTURE 4.1)."""

from datetime import UTC, datetime, timedelta

from accounts.tests.helpers import refresh, registered_and_logged_in


def _rotated_once(api_client) -> tuple[str, str]:
    """(a new session's refresh token, the one its rotation gave in its place)."""
    tokens = registered_and_logged_in(api_client)
    return tokens["refresh"], refresh(api_client, tokens["refresh"]).json()["refresh"]


def test_refresh_returns_a_new_pair_and_retires_the_old_refresh(api_client):
    tokens = registered_and_logged_in(api_client)

    response = refresh(api_client, tokens["refresh"])

    assert response.status_code == 200
    rotated = response.json()
    assert rotated["refresh"] != tokens["refresh"]
    assert rotated["access"] != tokens["access"]
    assert refresh(api_client, rotated["refresh"]).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(api_client, mongo_db):
    rotated, newest = _rotated_once(api_client)
    # Past the grace window, a second presentation of the old token means it leaked.
    mongo_db["token_families"].update_many({}, {"$set": {"rotated_at": datetime.now(UTC) - timedelta(minutes=5)}})

    reuse = refresh(api_client, rotated)

    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "token_reused"
    assert refresh(api_client, newest).status_code == 401


def test_a_concurrent_refresh_within_the_grace_window_keeps_the_session(api_client):
    rotated, newest = _rotated_once(api_client)

    second = refresh(api_client, rotated)

    assert second.status_code == 401
    assert second.json()["error"]["code"] == "token_rotated"
    assert refresh(api_client, newest).status_code == 200


def test_logout_revokes_the_family(api_client):
    tokens = registered_and_logged_in(api_client)

    response = api_client.post("/customers/logout", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    assert refresh(api_client, tokens["refresh"]).status_code == 401


def test_an_access_token_is_not_a_refresh_token(api_client):
    tokens = registered_and_logged_in(api_client)

    assert refresh(api_client, tokens["access"]).status_code == 401


def test_a_refresh_token_only_works_on_its_own_kind(api_client):
    tokens = registered_and_logged_in(api_client, "couriers")

    assert refresh(api_client, tokens["refresh"], kind="customers").status_code == 401


def test_garbage_refresh_tokens_are_401(api_client):
    assert refresh(api_client, "not.a.jwt").status_code == 401
    assert api_client.post("/customers/refresh-token", {"refresh": {"$ne": ""}}, format="json").status_code == 400
