"""Token rules on every route of the route table, through the live gateway: whatever the route,
a missing, forged, expired or wrong-type token never gets in, and a wrong kind of user gets 403."""

import time

import jwt as pyjwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from common.testing.tokens import access_claims
from edge.routes import ROUTES, TOKEN

SAMPLE_ID = "65f0c0ffee00000000000001"
TOKEN_ROUTES = sorted(
    {(method, r.pattern) for r in ROUTES if r.auth == TOKEN for method in r.methods if method != "HEAD"}
)


def _concrete(pattern: str) -> str:
    for name in ("rid", "iid", "oid", "did", "aid"):
        pattern = pattern.replace("{" + name + "}", SAMPLE_ID)
    return pattern


def _claims(**overrides):
    return access_claims(**{"sub": SAMPLE_ID, **overrides})


def _hs256_with(secret: bytes) -> str:
    """The key-confusion forgery: HMAC-signed with the (public) RSA key. PyJWT refuses to make
    one, so it is assembled by hand."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + b"." + b64(json.dumps(_claims()).encode())
    )
    return (signing_input + b"." + b64(hmac.new(secret, signing_input, hashlib.sha256).digest())).decode()


@pytest.fixture(scope="module")
def forged_tokens(live_platform):
    private, public = live_platform.key_pair()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "alg none": pyjwt.encode(_claims(), key=None, algorithm="none"),
        "HS256 with the public key": _hs256_with(public.encode()),
        "another key": pyjwt.encode(_claims(), stranger, algorithm="RS256"),
        "expired": pyjwt.encode(
            _claims(exp=int(time.time()) - 600, iat=int(time.time()) - 1200), private, algorithm="RS256"
        ),
        "wrong audience": pyjwt.encode(_claims(aud="someone-else"), private, algorithm="RS256"),
        "wrong issuer": pyjwt.encode(_claims(iss="evil"), private, algorithm="RS256"),
        "refresh as access": pyjwt.encode(_claims(token_type="refresh", fam="f"), private, algorithm="RS256"),
        "mfa as access": pyjwt.encode(_claims(token_type="mfa"), private, algorithm="RS256"),
        "garbage": "not-a-token",
    }


@pytest.mark.parametrize(("method", "pattern"), TOKEN_ROUTES)
def test_every_token_route_refuses_bad_tokens(live_platform, forged_tokens, method, pattern):
    url = live_platform.url("gateway") + _concrete(pattern)

    assert requests.request(method, url, json={}, timeout=10).status_code == 401
    for name, token in forged_tokens.items():
        response = requests.request(method, url, json={}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 401, f"{name}: {response.status_code} {response.text}"
        assert response.json()["error"]["code"] in ("authentication_failed", "not_authenticated")


KIND_OF_ROUTE = {
    "/customers/me": "customer",
    "/customers/me/addresses": "customer",
    "/customers/me/addresses/{aid}": "customer",
    "/customers/me/orders": "customer",
    "/customers/me/orders/quote": "customer",
    "/customers/me/feed": "customer",
    "/restaurants/mfa/setup": "restaurant",
    "/restaurants/mfa/confirm": "restaurant",
    "/restaurants/{rid}/menu/items": "restaurant",
    "/restaurants/{rid}/orders": "restaurant",
    "/restaurants/{rid}/orders/events": "restaurant",
    "/restaurants/{rid}/orders/{oid}/delay": "restaurant",
    "/couriers/me": "courier",
    "/couriers/me/location": "courier",
    "/couriers/me/events": "courier",
    "/deliveries": "courier",
    "/deliveries/{did}": "courier",
    "/deliveries/{did}/status": "courier",
    "/orders/{oid}/cancel": "customer",
    "/operator/orders": "operator",
    "/operator/orders/{oid}/cancel": "operator",
    "/operator/orders/{oid}/assign": "operator",
    "/operator/orders/{oid}/unassign": "operator",
    "/operator/couriers": "operator",
    "/operator/audit": "operator",
    "/operator/events": "operator",
}


@pytest.mark.parametrize(("method", "pattern"), [(m, p) for m, p in TOKEN_ROUTES if p in KIND_OF_ROUTE])
def test_the_wrong_kind_of_user_is_refused(live_platform, method, pattern):
    private, _ = live_platform.key_pair()
    url = live_platform.url("gateway") + _concrete(pattern)
    for user_type in {"customer", "restaurant", "courier", "operator", "service"} - {KIND_OF_ROUTE[pattern]}:
        token = pyjwt.encode(_claims(user_type=user_type), private, algorithm="RS256")
        response = requests.request(method, url, json={}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 403, f"{user_type} on {method} {pattern}: {response.status_code}"


def test_internal_routes_are_unreachable_through_the_gateway(live_platform, forged_tokens):
    private, _ = live_platform.key_pair()
    service_token = pyjwt.encode(_claims(user_type="service", sub="order"), private, algorithm="RS256")
    for path in (
        "/internal/service-token",
        "/internal/orders",
        "/internal/dispatch",
        f"/internal/restaurants/{SAMPLE_ID}/order-quote",
        "/internal/accounts/customer/x",
    ):
        response = requests.post(
            live_platform.url("gateway") + path,
            json={},
            headers={"Authorization": f"Bearer {service_token}"},
            timeout=10,
        )
        assert response.status_code == 404, path
