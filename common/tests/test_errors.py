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


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"[" * 50_000 + b"]" * 50_000, "application/json", 400, "malformed_request"),
        (
            b'{"name": ' + b"[" * 40 + b"1" + b"]" * 40 + b', "quantity": 1}',
            "application/json",
            400,
            "malformed_request",
        ),
        (b'{"name": "\xff\xfe", "quantity": 1}', "application/json", 400, "malformed_request"),
        (b'{"name": "a", "name": "b", "quantity": 1}', "application/json", 400, "malformed_request"),
        (b'{"name": "a", "quantity": NaN}', "application/json", 400, "malformed_request"),
        (b'{"name": "a", "quantity": Infinity}', "application/json", 400, "malformed_request"),
        (b'{"name": "a", "quantity":', "application/json", 400, "malformed_request"),
        (b'{"name": "a", "quantity": 1}', "application/json; charset=latin-1", 400, "malformed_request"),
        (b"name=a&quantity=1", "text/plain", 415, "unsupported_media_type"),
        (b"<xml/>", "application/xml", 415, "unsupported_media_type"),
    ],
    ids=[
        "50000-deep",
        "41-deep",
        "invalid-utf8",
        "duplicate-key",
        "nan",
        "infinity",
        "truncated",
        "latin1",
        "text",
        "xml",
    ],
)
def test_a_body_the_parser_cannot_take_is_a_4xx_with_the_json_error(api_client, body, content_type, status, code):
    response = api_client.post("/echo", data=body, content_type=content_type)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert "Traceback" not in response.content.decode()


def test_a_well_formed_body_still_goes_through(api_client):
    response = api_client.post("/echo", data=b'{"name": "a", "quantity": 2}', content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {"name": "a", "quantity": 2}


def test_a_process_at_its_limit_sheds_at_once_with_a_spread_retry_after(settings):
    """One request holds the only place (it waits at a barrier in its thread); the others are
    answered 503 `overloaded` at once, each with its own Retry-After, and health still answers."""
    import threading
    import time

    from django.test import Client

    from tests.urls import ThreadView

    settings.MAX_INFLIGHT_REQUESTS = 1
    settings.SSE_SHED_RETRY_MAX_S = 5
    ThreadView.barrier = threading.Barrier(2)
    ThreadView.entered.clear()
    held = threading.Thread(target=lambda: Client().get("/thread"))
    held.start()
    try:
        # Without this wait the first /echo could take the only place and the held request be shed.
        assert ThreadView.entered.wait(timeout=5)
        deadline = time.monotonic() + 5
        shed = []
        while len(shed) < 12 and time.monotonic() < deadline:
            response = Client().get("/echo")
            if response.status_code == 503:
                shed.append(response)
        health = Client().get("/healthz")
    finally:
        ThreadView.barrier.wait(timeout=5)
        held.join()
        ThreadView.barrier = None

    assert len(shed) == 12
    assert {r.json()["error"]["code"] for r in shed} == {"overloaded"}
    assert {r["X-Overloaded"] for r in shed} == {"true"}
    assert len({r["Retry-After"] for r in shed}) > 1
    assert health.status_code == 200
