"""The browsable API for a courier: forms for going online, reporting a position, and filters."""

from common.testing.browsable import HTML, form_fields


def test_the_courier_page_has_an_edit_form_and_a_form_put_goes_online(api_client, courier):
    _, headers = courier

    page = api_client.get("/couriers/me", headers={**HTML, **headers}).content.decode()
    changed = api_client.put("/couriers/me", {"available": "true", "vehicle": "bike"}, headers=headers)  # multipart

    assert form_fields(page, "put-object-form") >= {"name", "vehicle", "available"}
    assert changed.status_code == 200, changed.content
    assert (changed.json()["available"], changed.json()["vehicle"]) == (True, "bike")


def test_a_position_is_reported_through_the_location_form(api_client, courier):
    _, headers = courier

    page = api_client.get("/couriers/me/location", headers={**HTML, **headers}).content.decode()
    reported = api_client.post("/couriers/me/location", {"lat": "52.37", "lng": "4.89"}, headers=headers)
    out_of_range = api_client.post("/couriers/me/location", {"lat": "91", "lng": "4.89"}, headers=headers)

    assert form_fields(page, "post-object-form") == {"lat", "lng"}
    assert reported.status_code == 204
    assert api_client.get("/couriers/me", headers=headers).json()["location"]["lat"] == 52.37
    assert out_of_range.status_code == 400


def test_an_unknown_delivery_status_filter_is_a_400_naming_it(api_client, courier):
    response = api_client.get("/deliveries?status=lost", headers=courier[1])

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"status"}


def test_the_deliveries_page_offers_the_status_filter_as_a_form(api_client, courier):
    page = api_client.get("/deliveries?status=delivered", headers={**HTML, **courier[1]}).content.decode()

    filters = page.split('id="filtersModal"', 1)[1]
    assert 'name="status"' in filters
    assert 'value="delivered" selected' in filters
