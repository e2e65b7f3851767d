"""Every failure answers the contract's JSON error, never HTML or a traceback."""

import json

import pytest


def _error(response) -> dict:
    body = json.loads(response.content)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_malformed_json_is_a_400_with_the_error_shape(api_client):
    response = api_client.post("/echo", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_request"


def test_wrong_types_are_a_400_naming_the_fields(api_client):
    response = api_client.post("/echo", {"name": ["x"], "quantity": "many"}, format="json")

    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid"
    assert set(error["details"]) == {"name", "quantity"}


def test_operator_injection_is_refused_as_a_wrong_type(api_client):
    response = api_client.post("/echo", {"name": {"$ne": ""}, "quantity": 1}, format="json")

    assert response.status_code == 400
    assert "name" in _error(response)["details"]


def test_unknown_path_is_a_json_404(client):
    response = client.get("/no/such/thing")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_wrong_method_is_a_json_405(api_client):
    response = api_client.get("/echo")

    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_unsupported_media_type_is_a_json_415(api_client):
    response = api_client.post("/echo", data="name=x", content_type="text/plain")

    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_oversized_body_is_a_413_before_parsing(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    response = api_client.post("/echo", {"name": "x" * 200, "quantity": 1}, format="json")

    assert response.status_code == 413
    assert _error(response)["details"] == {"max_bytes": 100}


def test_unexpected_exception_is_a_500_without_internals(api_client):
    response = api_client.get("/crash")

    assert response.status_code == 500
    assert _error(response)["code"] == "internal_error"
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_domain_errors_keep_their_code_and_details(api_client):
    response = api_client.post("/conflict", {}, format="json")

    assert response.status_code == 409
    assert _error(response) == {
        "code": "illegal_transition",
        "message": "Order is already accepted.",
        "details": {"current": "accepted"},
    }


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz")

    assert len(response["X-Request-ID"]) == 32


def test_a_valid_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})

    assert response["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("junk", ["a" * 200, "bad id with spaces", "<script>"])
def test_a_junk_incoming_request_id_is_replaced(client, junk):
    response = client.get("/healthz", headers={"X-Request-ID": junk})

    assert response["X-Request-ID"] != junk
    assert len(response["X-Request-ID"]) == 32
