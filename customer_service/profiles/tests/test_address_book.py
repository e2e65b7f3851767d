"""The addresses this service publishes for placement (common/contracts/customer_addresses.py): what another
service reading them sees after a read, an edit and a deletion, against the real Redis."""

import pytest

from common.contracts import customer_addresses
from profiles.tests.helpers import auth

HOME = {"label": "Home", "line1": "1 Main St", "city": "Springfield", "postcode": "12345", "lat": 52.1, "lng": 4.3}


@pytest.fixture
def address(api_client, customer):
    customer_id, token = customer
    added = api_client.post("/customers/me/addresses", HOME, format="json", headers=auth(token))
    assert added.status_code == 201, added.content
    return customer_id, token, added.json()["id"]


@pytest.fixture
def as_order_service(issue_token):
    return auth(issue_token("service", sub="order"))


def _internal(api_client, headers, customer_id, address_id):
    return api_client.get(f"/internal/customers/{customer_id}/addresses/{address_id}", headers=headers)


def test_the_internal_read_gives_the_whole_delivery_address_and_publishes_it(api_client, address, as_order_service):
    customer_id, _token, address_id = address

    response = _internal(api_client, as_order_service, customer_id, address_id)

    assert response.status_code == 200
    assert response.json() == {"address_id": address_id, **HOME}
    assert customer_addresses.published(customer_id, address_id) == HOME


def test_an_edit_retires_the_published_address_and_the_next_read_publishes_the_edit(
    api_client, address, as_order_service
):
    customer_id, token, address_id = address
    _internal(api_client, as_order_service, customer_id, address_id)

    edited = api_client.patch(
        f"/customers/me/addresses/{address_id}", {"line1": "9 Side St"}, format="json", headers=auth(token)
    )

    assert edited.status_code == 200
    assert customer_addresses.published(customer_id, address_id) is None
    _internal(api_client, as_order_service, customer_id, address_id)
    assert customer_addresses.published(customer_id, address_id)["line1"] == "9 Side St"


def test_making_an_address_the_default_leaves_what_was_published(api_client, address, as_order_service):
    customer_id, token, address_id = address
    _internal(api_client, as_order_service, customer_id, address_id)

    api_client.patch(f"/customers/me/addresses/{address_id}", {"is_default": True}, format="json", headers=auth(token))

    assert customer_addresses.published(customer_id, address_id) == HOME


def test_a_deleted_address_is_no_longer_published_and_reads_as_not_found(api_client, address, as_order_service):
    customer_id, token, address_id = address
    _internal(api_client, as_order_service, customer_id, address_id)

    assert api_client.delete(f"/customers/me/addresses/{address_id}", headers=auth(token)).status_code == 204

    assert customer_addresses.published(customer_id, address_id) is None
    missing = _internal(api_client, as_order_service, customer_id, address_id)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "address_not_found"
    assert customer_addresses.published(customer_id, address_id) is None


def test_another_customers_address_is_not_found_and_not_published(api_client, address, as_order_service):
    _customer_id, _token, address_id = address

    assert _internal(api_client, as_order_service, "e" * 24, address_id).status_code == 404
    assert customer_addresses.published("e" * 24, address_id) is None


def test_customers_cannot_read_the_internal_route(api_client, address):
    customer_id, token, address_id = address

    assert _internal(api_client, auth(token), customer_id, address_id).status_code == 403
