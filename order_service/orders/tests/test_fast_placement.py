"""Placement answered before Django's handler (orders/fast.py): the same answers as the DRF view
gives, status, headers and body, for what it takes; everything else reaches the view untouched; and
once an order may have been stored, the answer is never left to Django, which would place it again.
Against the real store, Redis and the live platform's services."""

from __future__ import annotations

import json
import uuid

import pytest
from prometheus_client import REGISTRY

from common.asgi import PooledThreadsASGIHandler
from common.testing.asgi import answer_of, exchange, http_scope
from orders import fast, services
from orders.tests.helpers import CUSTOMER, customer_order, publish_address

PROXIED = {"X-Forwarded-Host": "food.example", "X-Forwarded-Proto": "https"}  # as the gateway calls


@pytest.fixture
def customer(issue_token):
    publish_address()
    return {"Authorization": f"Bearer {issue_token('customer', sub=CUSTOMER)}", **PROXIED}


def _raw(body) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def _sent(app, headers: dict, body, content_type="application/json", query=b"") -> tuple[int, dict, bytes]:
    raw = _raw(body)
    raw_headers = [(b"content-type", content_type.encode())]
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    scope = http_scope("POST", fast.PATH, raw_headers, body=raw)
    scope["query_string"] = query
    return answer_of(exchange(app, scope, raw))


def _lean(headers: dict, body, **kwargs):
    return _sent(fast.with_placements(PooledThreadsASGIHandler()), headers, body, **kwargs)


def _django(headers: dict, body, **kwargs):
    return _sent(PooledThreadsASGIHandler(), headers, body, **kwargs)


def _keyed(headers: dict) -> dict:
    return {**headers, "Idempotency-Key": uuid.uuid4().hex}


def _comparable(order: dict) -> dict:
    """An answer without what differs between two placements of the same order (ids and times)."""
    varying = {"id", "created_at", "updated_at", "estimated_ready_at", "estimated_delivery_at", "track_url"}
    shown = {key: value for key, value in order.items() if key not in varying}
    shown["history"] = [{k: v for k, v in entry.items() if k != "at"} for entry in order["history"]]
    return shown


def _without_request_id(headers: dict) -> dict:
    return {name: value for name, value in headers.items() if name != b"x-request-id"}


def _served(status: str) -> float:
    labels = {"route": fast.ROUTE, "method": "POST", "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0


def test_an_order_is_placed_before_django_as_the_view_places_it(customer, menu, mongo_db, django_requests):
    counted = _served("201")

    lean = _lean({**_keyed(customer), "X-Request-ID": "place-1"}, customer_order(menu))
    assert django_requests == []  # no Django request: no handler, middleware chain, DRF or serializer
    django = _django(_keyed(customer), customer_order(menu))
    assert len(django_requests) == 1

    (status, headers, content), (django_status, django_headers, django_content) = lean, django
    assert status == django_status == 201
    assert headers[b"x-request-id"] == b"place-1"
    assert _without_request_id(headers) == _without_request_id(django_headers)
    order, django_order = json.loads(content), json.loads(django_content)
    assert _comparable(order) == _comparable(django_order)
    assert order["track_url"] == f"https://food.example/orders/{order['id']}/track"
    assert set(order) == set(django_order)
    assert mongo_db["orders"].count_documents({"customer_id": CUSTOMER}) == 2
    assert _served("201") == counted + 2  # one series, whichever way it was answered


def test_a_retry_gets_the_first_order_once_whichever_path_answers(customer, menu, mongo_db, django_requests):
    headers = _keyed(customer)

    first = _lean(headers, customer_order(menu))
    again = _lean(headers, customer_order(menu))
    by_django = _django(headers, customer_order(menu))

    assert first[0] == again[0] == by_django[0] == 201
    ids = {json.loads(answer[2])["id"] for answer in (first, again, by_django)}
    assert len(ids) == 1
    assert b"idempotent-replayed" not in first[1]
    assert again[1][b"idempotent-replayed"] == by_django[1][b"idempotent-replayed"] == b"true"
    assert mongo_db["orders"].count_documents({"customer_id": CUSTOMER}) == 1
    assert len(django_requests) == 1


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"restaurant_id": "f" * 24}, 400, "unknown_restaurant"),
        ({"items": [{"menu_item_id": "e" * 24, "quantity": 1}]}, 400, "unknown_items"),
        ({"address_id": "b" * 24}, 400, "unknown_address"),
    ],
)
def test_a_refused_order_gets_the_view_s_error_without_django(customer, menu, change, status, code, django_requests):
    lean = _lean(_keyed(customer), {**customer_order(menu), **change})
    assert django_requests == []
    django = _django(_keyed(customer), {**customer_order(menu), **change})

    assert lean[0] == django[0] == status
    assert json.loads(lean[2]) == json.loads(django[2])
    assert json.loads(lean[2])["error"]["code"] == code
    assert _without_request_id(lean[1]) == _without_request_id(django[1])


def test_a_key_reused_for_another_order_is_a_conflict_on_both_paths(customer, menu, django_requests):
    headers = _keyed(customer)
    assert _lean(headers, customer_order(menu))[0] == 201

    lean = _lean(headers, customer_order(menu, quantity=3))
    django = _django(headers, customer_order(menu, quantity=3))

    assert lean[0] == django[0] == 409
    assert json.loads(lean[2]) == json.loads(django[2])
    assert json.loads(lean[2])["error"]["code"] == "idempotency_key_reused"
    assert len(django_requests) == 1


def _item(menu, **line):
    return {"items": [{"menu_item_id": menu["items"][0]["id"], "quantity": 1, **line}]}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda menu: _item(menu, quantity="2"), id="quantity-as-text"),
        pytest.param(lambda menu: _item(menu, quantity=True), id="quantity-as-boolean"),
        pytest.param(lambda menu: _item(menu, quantity=2.0), id="quantity-as-float"),
        pytest.param(lambda menu: _item(menu, quantity=0), id="quantity-zero"),
        pytest.param(lambda menu: _item(menu, quantity=51), id="quantity-too-many"),
        pytest.param(lambda menu: _item(menu, menu_item_id=" " + menu["items"][0]["id"]), id="padded-item-id"),
        pytest.param(lambda menu: {"items": _item(menu)["items"] * 2}, id="an-item-twice"),
        pytest.param(lambda menu: {"items": []}, id="no-items"),
        pytest.param(lambda menu: {"items": {"menu_item_id": menu["items"][0]["id"]}}, id="items-not-a-list"),
        pytest.param(lambda menu: {"restaurant_id": {"$ne": ""}}, id="operator-injection"),
        pytest.param(lambda menu: {"restaurant_id": " " + menu["restaurant"]["id"] + " "}, id="padded-id"),
        pytest.param(lambda menu: {"restaurant_id": ""}, id="blank-id"),
        pytest.param(lambda menu: {"address_id": "a" * 65}, id="id-too-long"),
        pytest.param(lambda menu: {"address_id": "a\x00"}, id="null-character"),
        pytest.param(lambda menu: {"address_id": None}, id="null-id"),
    ],
)
def test_what_it_does_not_take_as_it_is_reaches_the_view(customer, menu, mongo_db, change, django_requests):
    body = {**customer_order(menu), **change(menu)}

    lean = _lean(_keyed(customer), body)
    assert len(django_requests) == 1
    django = _django(_keyed(customer), body)

    assert lean[0] == django[0]
    if lean[0] >= 400:
        assert json.loads(lean[2]) == json.loads(django[2])


@pytest.mark.parametrize(
    ("accept", "query", "taken"),
    [
        (None, b"", True),
        ("*/*", b"", True),
        ("application/json", b"", True),
        ("application/json, */*", b"", True),
        ("application/json, text/plain, */*", b"", True),  # axios
        ("application/json, */*;q=0.5", b"", True),  # HTTPie
        ("application/json; charset=utf-8", b"", False),  # DRF answers with that media type
        ("*/*;q=0.8", b"", False),  # and with "application/json;q=0.8"
        ("text/html", b"", False),  # the browsable API's page
        ("text/*, */*", b"", False),
        ("text/html, application/json", b"", True),  # JSON is DRF's first renderer
        ("application/xml", b"", False),  # 406
        ("*/*", b"format=api", False),
    ],
)
def test_only_a_json_answer_is_answered_before_django(customer, menu, accept, query, taken, django_requests):
    headers = _keyed(customer) if accept is None else {**_keyed(customer), "Accept": accept}

    lean = _lean(headers, customer_order(menu), query=query)
    django = _django({**headers, "Idempotency-Key": uuid.uuid4().hex}, customer_order(menu), query=query)

    assert len(django_requests) == (1 if taken else 2)
    assert lean[0] == django[0]
    assert lean[1][b"content-type"] == django[1][b"content-type"]


def _caller(who: str, customer: dict, issue_token) -> dict:
    return {
        "customer": customer,
        "nobody": PROXIED,
        "courier": {**customer, "Authorization": f"Bearer {issue_token('courier')}"},
        "bad-key": {**customer, "Idempotency-Key": "two words"},
        "bad-public-host": {**customer, "X-Forwarded-Host": "bad host"},
    }[who]


@pytest.mark.parametrize(
    ("who", "body", "content_type", "status"),
    [
        ("nobody", None, "application/json", 401),
        ("courier", None, "application/json", 403),
        ("bad-key", None, "application/json", 400),
        ("bad-public-host", None, "application/json", 400),
        ("customer", b'{"restaurant_id": ', "application/json", 400),
        ("customer", b'{"restaurant_id": NaN}', "application/json", 400),
        ("customer", b"restaurant_id=1", "application/x-www-form-urlencoded", 400),
        ("customer", None, "text/plain", 415),
    ],
)
def test_other_callers_and_bodies_get_the_view_s_answers(
    customer, issue_token, menu, who, body, content_type, status, django_requests
):
    headers = _caller(who, customer, issue_token)

    lean = _lean(headers, customer_order(menu) if body is None else body, content_type=content_type)

    assert len(django_requests) == 1
    assert lean[0] == status
    assert json.loads(lean[2])["error"]["code"]


def test_a_failure_once_the_order_may_be_stored_is_answered_here_never_placed_twice(
    customer, menu, mongo_db, monkeypatch, django_requests, caplog
):
    placing = services.customer_order_place

    def stored_then_broken(**kwargs):
        placing(**kwargs)
        raise RuntimeError("lost the answer")

    monkeypatch.setattr(services, "customer_order_place", stored_then_broken)

    status, _, content = _lean(customer, customer_order(menu))  # no Idempotency-Key: Django would store another

    assert status == 500
    assert json.loads(content)["error"]["code"] == "internal_error"
    assert django_requests == []
    assert mongo_db["orders"].count_documents({"customer_id": CUSTOMER}) == 1
    assert "unhandled error" in caplog.text
    assert f"Internal Server Error: {fast.PATH}" in caplog.text  # Django's own line for a 500 too
