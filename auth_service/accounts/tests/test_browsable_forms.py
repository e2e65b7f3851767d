"""The browsable API's forms on the auth routes: fields declared, passwords masked, forms accepted."""

import pytest

from common.testing.browsable import HTML, form_fields


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/customers/register", {"email", "password", "name"}),
        ("/couriers/login", {"email", "password"}),
        ("/restaurants/login/mfa", {"mfa_token", "code"}),
        ("/customers/refresh-token", {"refresh"}),
    ],
)
def test_each_public_auth_route_renders_a_form_with_its_fields(api_client, path, fields):
    page = api_client.get(path, headers=HTML).content.decode()

    assert form_fields(page, "post-object-form") == fields


def test_password_inputs_are_masked(api_client):
    page = api_client.get("/customers/register", headers=HTML).content.decode()

    assert 'type="password"' in page.split('name="password"', 1)[1].split(">", 1)[0]


def test_registering_and_signing_in_with_form_posts_works(api_client):
    account = {"email": "form@example.com", "password": "correct horse battery", "name": "Form"}

    registered = api_client.post("/customers/register", account)  # multipart, as the form sends it
    signed_in = api_client.post(
        "/customers/login", {"email": account["email"], "password": account["password"]}, format="multipart"
    )

    assert registered.status_code == 201, registered.content
    assert signed_in.status_code == 200
    assert set(signed_in.json()) >= {"access", "refresh"}


def test_mfa_set_up_has_its_button_for_a_signed_in_restaurant_user(api_client, issue_token):
    headers = {**HTML, "Authorization": f"Bearer {issue_token('restaurant', sub='a' * 24)}"}

    page = api_client.get("/restaurants/mfa/setup", headers=headers).content.decode()

    assert 'id="post-object-form"' in page
