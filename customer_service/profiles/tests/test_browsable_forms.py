"""The browsable API for a person: HTML forms with the routes' fields, and what they submit works."""

from common.testing.browsable import HTML, form_fields
from profiles.tests.helpers import auth as _auth


def test_the_addresses_page_has_an_html_form_with_the_address_fields(api_client, customer):
    _, token = customer

    page = api_client.get("/customers/me/addresses", headers={**HTML, **_auth(token)}).content.decode()

    assert form_fields(page, "post-object-form") >= {"label", "line1", "city", "postcode", "lat", "lng", "is_default"}


def test_an_address_submitted_as_a_form_is_stored_like_json(api_client, customer):
    _, token = customer
    fields = {"label": "Home", "line1": "1 Main St", "city": "Delft", "postcode": "2611", "lat": "52.01", "lng": "4.36"}

    created = api_client.post("/customers/me/addresses", fields, headers=_auth(token))  # multipart, as the form does

    assert created.status_code == 201, created.content
    address = api_client.get(f"/customers/me/addresses/{created.json()['id']}", headers=_auth(token)).json()
    assert (address["label"], address["city"], address["lat"]) == ("Home", "Delft", 52.01)


def test_a_form_with_a_bad_value_gets_the_json_error_naming_the_field(api_client, customer):
    _, token = customer
    fields = {"label": "Home", "line1": "1 Main St", "city": "Delft", "postcode": "2611", "lat": "91", "lng": "x"}

    response = api_client.post("/customers/me/addresses", fields, headers=_auth(token))

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"lat", "lng"}


def test_an_address_page_has_a_prefilled_edit_form_and_put_replaces_it(api_client, customer):
    _, token = customer
    created = api_client.post(
        "/customers/me/addresses",
        {"label": "Work", "line1": "2 Side St", "city": "Delft", "postcode": "2612", "lat": 52.0, "lng": 4.3},
        format="json",
        headers=_auth(token),
    ).json()
    path = f"/customers/me/addresses/{created['id']}"

    page = api_client.get(path, headers={**HTML, **_auth(token)}).content.decode()
    assert form_fields(page, "put-object-form") >= {"label", "line1", "city"}
    assert 'value="2 Side St"' in page

    replaced = api_client.put(
        path,
        {"label": "Office", "line1": "3 Main St", "city": "Leiden", "postcode": "2311", "lat": "52.16", "lng": "4.49"},
        headers=_auth(token),
    )
    assert replaced.status_code == 200, replaced.content
    assert (replaced.json()["label"], replaced.json()["city"]) == ("Office", "Leiden")


def test_the_profile_page_has_an_edit_form_and_the_orders_page_a_place_order_form(api_client, customer):
    _, token = customer

    profile = api_client.get("/customers/me", headers={**HTML, **_auth(token)}).content.decode()
    orders = api_client.get("/customers/me/orders", headers={**HTML, **_auth(token)}).content.decode()

    assert form_fields(profile, "put-object-form") >= {"name", "phone"}
    assert form_fields(orders, "post-object-form") >= {"restaurant_id", "address_id"}
