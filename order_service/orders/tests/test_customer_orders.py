"""`/customers/me/orders` answered by the order service itself (the gateway routes it here): the
customer's address comes from what the customer service published (common/customer_addresses.py), so
placing an order needs no customer-service hop; when nothing is published, the customer service
is asked (and publishes it)."""

import uuid

import pytest

from common.contracts import customer_addresses
from orders.tests.helpers import ADDRESS, ADDRESS_ID, CUSTOMER, publish_address


@pytest.fixture
def customer_headers(issue_token):
    return {"Authorization": f"Bearer {issue_token('customer', sub=CUSTOMER)}"}


@pytest.fixture
def customer_service_down(settings):
    settings.SERVICE_URLS = {**settings.SERVICE_URLS, "customer": "http://127.0.0.1:9"}


def _body(menu, address_id=ADDRESS_ID, quantity=2):
    return {
        "restaurant_id": menu["restaurant"]["id"],
        "items": [{"menu_item_id": menu["items"][0]["id"], "quantity": quantity}],
        "address_id": address_id,
    }


def _place(api_client, headers, body, key=None):
    key_header = {"Idempotency-Key": key} if key else {}
    return api_client.post("/customers/me/orders", body, format="json", headers={**headers, **key_header})


def test_a_published_address_places_the_order_without_the_customer_service(
    api_client, customer_headers, menu, customer_service_down, mongo_db
):
    publish_address()

    response = _place(api_client, customer_headers, _body(menu), key="k-1")

    assert response.status_code == 201, response.content
    order = response.json()
    assert order["customer_id"] == CUSTOMER
    assert order["delivery_address"] == ADDRESS
    assert order["total_cents"] == 2 * 1250
    assert order["status"] == "placed"
    assert mongo_db["orders"].count_documents({"customer_id": CUSTOMER}) == 1


def test_the_same_idempotency_key_gives_the_first_order_once(api_client, customer_headers, menu, mongo_db):
    publish_address()

    first = _place(api_client, customer_headers, _body(menu), key="k-2")
    again = _place(api_client, customer_headers, _body(menu), key="k-2")

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert mongo_db["orders"].count_documents({"customer_id": CUSTOMER}) == 1


def test_an_unpublish_address_is_asked_of_the_customer_service_which_publishes_it(api_client, menu, actors):
    customer_id, headers, address_id = actors.customer_with_address()
    assert customer_addresses.published(customer_id, address_id) is None

    response = _place(api_client, headers, _body(menu, address_id=address_id), key=uuid.uuid4().hex)

    assert response.status_code == 201, response.content
    assert response.json()["delivery_address"]["line1"] == "1 Canal St"
    assert response.json()["customer_id"] == customer_id


def test_an_address_the_customer_does_not_have_is_a_400_naming_it(api_client, customer_headers, menu, actors):
    _customer_id, headers, _address_id = actors.customer_with_address()
    for address_id in ("b" * 24, "not-an-id"):
        response = _place(api_client, headers, _body(menu, address_id=address_id))

        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "unknown_address"
        assert response.json()["error"]["details"] == {"address_id": address_id}


def test_another_customers_published_address_is_not_this_customers(
    api_client, customer_headers, menu, customer_service_down
):
    publish_address(customer_id="d" * 24)

    response = _place(api_client, customer_headers, _body(menu))

    assert response.status_code == 503  # not published for this customer: the customer service is asked


def test_an_unpublish_address_while_the_customer_service_is_down_is_a_503_and_nothing_is_stored(
    api_client, customer_headers, menu, customer_service_down, mongo_db
):
    response = _place(api_client, customer_headers, _body(menu), key="k-3")

    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert mongo_db["orders"].count_documents({}) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"items": []},
        {"items": [{"menu_item_id": "f" * 24, "quantity": 0}]},
        {"address_id": {"$ne": ""}},
        {"restaurant_id": None},
    ],
)
def test_malformed_placements_are_400(api_client, customer_headers, menu, change):
    publish_address()

    response = _place(api_client, customer_headers, {**_body(menu), **change})

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"]


def test_a_malformed_idempotency_key_is_a_400(api_client, customer_headers, menu):
    publish_address()

    response = _place(api_client, customer_headers, _body(menu), key="x" * 201)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]


def test_only_customers_place_orders_here(api_client, issue_token, menu):
    publish_address()
    courier = {"Authorization": f"Bearer {issue_token('courier')}"}

    assert _place(api_client, courier, _body(menu)).status_code == 403
    assert _place(api_client, {}, _body(menu)).status_code == 401


def test_the_quote_prices_the_order_from_the_published_address_and_stores_nothing(
    api_client, customer_headers, menu, customer_service_down, mongo_db
):
    publish_address()

    response = api_client.post("/customers/me/orders/quote", _body(menu), format="json", headers=customer_headers)

    assert response.status_code == 200, response.content
    assert response.json()["total_cents"] == 2 * 1250
    assert response.json()["distance_km"] is not None
    assert mongo_db["orders"].count_documents({}) == 0


def test_the_history_lists_the_customers_own_orders_newest_first_with_public_tracking_links(
    api_client, customer_headers, menu, issue_token
):
    publish_address()
    first = _place(api_client, customer_headers, _body(menu)).json()
    second = _place(api_client, customer_headers, _body(menu, quantity=1)).json()
    publish_address(customer_id="d" * 24)
    other = {"Authorization": f"Bearer {issue_token('customer', sub='d' * 24)}"}
    _place(api_client, other, _body(menu))

    response = api_client.get(
        "/customers/me/orders",
        headers={**customer_headers, "X-Forwarded-Host": "food.example", "X-Forwarded-Proto": "https"},
    )

    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 2
    assert [o["id"] for o in page["results"]] == [second["id"], first["id"]]
    assert page["results"][0]["track_url"].endswith(f"/orders/{second['id']}/track")
    assert page["results"][0]["track_url"].startswith("http")


def test_a_public_host_django_refuses_is_a_400_before_any_order_is_stored(api_client, customer_headers, menu, mongo_db):
    publish_address()

    response = api_client.post(
        "/customers/me/orders", _body(menu), format="json", headers={**customer_headers, "X-Forwarded-Host": "bad host"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert mongo_db["orders"].count_documents({"customer_id": CUSTOMER}) == 0
