"""Token verification in every service: signature, algorithm, expiry, issuer, audience, type."""

import base64
import json
from datetime import timedelta

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from common.jwt import MfaToken, RefreshToken
from common.testing.tokens import access_claims


def _get(api_client, token=None, scheme="Bearer"):
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return api_client.get("/customer-only", headers=headers)


def _claims(**overrides):
    return access_claims(**{"sub": "c1", "jti": "j1", "lifetime_s": 60, **overrides})


def test_a_valid_customer_token_is_accepted_without_a_database(api_client, issue_token):
    response = _get(api_client, issue_token("customer", sub="abc"))

    assert response.status_code == 200
    assert response.json() == {"id": "abc", "user_type": "customer"}


def test_no_token_is_401(api_client):
    response = _get(api_client)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_kind_of_user_is_403(api_client, issue_token):
    assert _get(api_client, issue_token("courier")).status_code == 403


def test_wrong_scheme_is_401(api_client, issue_token):
    assert _get(api_client, issue_token("customer"), scheme="Token").status_code == 401


def test_an_expired_token_is_401(api_client, jwt_key_pair):
    token = pyjwt.encode(_claims(exp=1_000_000, iat=999_000), jwt_key_pair[0], algorithm="RS256")
    assert _get(api_client, token).status_code == 401


def test_alg_none_is_refused(api_client):
    token = pyjwt.encode(_claims(), key=None, algorithm="none")
    assert _get(api_client, token).status_code == 401


def test_hs256_signed_with_the_public_key_is_refused(api_client, jwt_key_pair):
    # The classic confusion attack: the public key is known to everybody.
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
    import hashlib
    import hmac

    signature = base64.urlsafe_b64encode(
        hmac.new(jwt_key_pair[1].encode(), header + b"." + payload, hashlib.sha256).digest()
    ).rstrip(b"=")
    token = b".".join([header, payload, signature]).decode()
    assert _get(api_client, token).status_code == 401


def test_a_tampered_payload_is_refused(api_client, issue_token):
    header, payload, signature = issue_token("courier", sub="x").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["user_type"] = "customer"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _get(api_client, f"{header}.{forged}.{signature}").status_code == 401


def test_a_token_from_another_key_is_refused(api_client):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = pyjwt.encode(_claims(), pem, algorithm="RS256")
    assert _get(api_client, token).status_code == 401


@pytest.mark.parametrize(
    "claim",
    [
        {"iss": "someone-else"},
        {"aud": "another-app"},
        {"iss": None},
        {"aud": None},
        {"jti": None},
        {"sub": None},
        {"user_type": None},
        {"user_type": "admin"},
    ],
)
def test_wrong_or_missing_claims_are_refused(api_client, jwt_key_pair, claim):
    token = pyjwt.encode(_claims(**claim), jwt_key_pair[0], algorithm="RS256")
    assert _get(api_client, token).status_code == 401


def test_a_refresh_token_cannot_be_used_as_access(api_client, issue_token):
    assert _get(api_client, issue_token("customer", token_class=RefreshToken, fam="f")).status_code == 401


def test_an_mfa_token_cannot_be_used_as_access(api_client, issue_token):
    assert _get(api_client, issue_token("customer", token_class=MfaToken)).status_code == 401


def test_tokens_carry_the_contract_claims(issue_token, jwt_key_pair):
    claims = pyjwt.decode(
        issue_token("courier", sub="c9"),
        jwt_key_pair[1],
        algorithms=["RS256"],
        audience="food-delivery",
        issuer="food-delivery-auth",
    )

    assert {"sub", "user_type", "role", "token_type", "jti", "iat", "exp", "iss", "aud"} <= set(claims)
    assert claims["exp"] - claims["iat"] == int(timedelta(minutes=10).total_seconds())


def test_a_token_verified_once_is_still_refused_when_it_expires(api_client, jwt_key_pair):
    """Verified tokens are remembered by the process until they expire, never past that."""
    import time

    exp = int(time.time()) - 2  # expired, but within the 5 s leeway for another 2-3 s
    token = pyjwt.encode(_claims(exp=exp, iat=exp - 600), jwt_key_pair[0], algorithm="RS256")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    first = api_client.get("/customer-only", **headers)
    time.sleep(max(0.0, exp + 5 - time.time()) + 0.5)  # past the leeway
    later = api_client.get("/customer-only", **headers)

    assert first.status_code == 200, first.content
    assert later.status_code == 401
