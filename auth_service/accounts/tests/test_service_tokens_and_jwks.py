import jwt as pyjwt
import pytest

from accounts.tests.helpers import registered_and_logged_in


@pytest.fixture(autouse=True)
def _clients(settings):
    settings.SERVICE_CLIENTS = {"order": "order-secret"}


def test_a_known_client_gets_a_short_lived_service_token(api_client, jwt_key_pair):
    response = api_client.post(
        "/internal/service-token", {"client_id": "order", "client_secret": "order-secret"}, format="json"
    )

    assert response.status_code == 200
    claims = pyjwt.decode(response.json()["access"], jwt_key_pair[1], algorithms=["RS256"], audience="food-delivery")
    assert claims["user_type"] == "service"
    assert claims["sub"] == "order"
    assert claims["exp"] - claims["iat"] == 300


@pytest.mark.parametrize(("client_id", "secret"), [("order", "wrong"), ("nobody", "order-secret"), ("order", "")])
def test_wrong_client_credentials_are_401(api_client, client_id, secret):
    response = api_client.post(
        "/internal/service-token", {"client_id": client_id, "client_secret": secret}, format="json"
    )

    assert response.status_code in (400, 401)


def test_jwks_publishes_the_key_that_verifies_tokens(api_client):
    tokens = registered_and_logged_in(api_client)
    jwks = api_client.get("/.well-known/jwks.json").json()

    key = pyjwt.PyJWKSet.from_dict(jwks).keys[0]
    assert key.key_id == pyjwt.get_unverified_header(tokens["access"])["kid"]
    assert pyjwt.decode(tokens["access"], key.key, algorithms=["RS256"], audience="food-delivery")["sub"]


def test_internal_account_lookup_needs_a_service_token(api_client, issue_token):
    account_id = api_client.post(
        "/customers/register",
        {"email": "a@example.com", "password": "correct horse battery", "name": "A"},
        format="json",
    ).json()["id"]
    path = f"/internal/accounts/customer/{account_id}"

    assert api_client.get(path).status_code == 401
    assert (
        api_client.get(path, headers={"Authorization": f"Bearer {issue_token('customer', sub=account_id)}"}).status_code
        == 403
    )
    service = api_client.get(path, headers={"Authorization": f"Bearer {issue_token('service', sub='customer')}"})
    assert service.status_code == 200
    assert service.json()["email"] == "a@example.com"
    assert (
        api_client.get(
            "/internal/accounts/customer/nope", headers={"Authorization": f"Bearer {issue_token('service')}"}
        ).status_code
        == 404
    )
