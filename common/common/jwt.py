"""RS256 tokens (ARCHITECTURE 4.1) on simplejwt's token classes.

The auth service signs with the private key; every other service only holds the public key
(from `JWT_PUBLIC_KEY`/`JWT_PUBLIC_KEY_FILE`, or fetched once from the auth service's JWKS and
cached), so a compromised service cannot mint tokens. Verification checks the signature with the
configured algorithm only, expiry, issuer, audience, `jti` and `token_type`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
import time
from datetime import timedelta

import jwt as pyjwt
import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from jwt.algorithms import RSAAlgorithm
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import Token

USER_TYPES = ("customer", "restaurant", "courier", "operator", "service")

__all__ = ["USER_TYPES", "AccessToken", "MfaToken", "RefreshToken", "TokenError", "jwks_document"]


class _KeyedTokenBackend(TokenBackend):
    """simplejwt's backend, adding the key id to the header so JWKS consumers can pick the key."""

    def __init__(self, *args, kid: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kid = kid

    def encode(self, payload: dict) -> str:
        body = dict(payload)
        body["aud"] = self.audience
        body["iss"] = self.issuer
        headers = {"kid": self.kid} if self.kid else None
        return pyjwt.encode(body, self.prepared_signing_key, algorithm=self.algorithm, headers=headers)


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _public_jwk(public_pem: str) -> dict:
    key = serialization.load_pem_public_key(public_pem.encode())
    numbers = key.public_numbers()
    jwk = {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}
    # RFC 7638 thumbprint as the key id: stable for the same key, new for a rotated one.
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    jwk["kid"] = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    jwk.update({"use": "sig", "alg": settings.JWT_ALGORITHM})
    return jwk


_jwks_lock = threading.Lock()


@functools.cache
def _public_key_from_jwks(url: str) -> str:
    """Fetched once per process; the key is stable until the auth service's key is rotated."""
    with _jwks_lock:
        response = requests.get(url, timeout=(settings.HTTP_CONNECT_TIMEOUT_S, settings.HTTP_READ_TIMEOUT_S))
        response.raise_for_status()
        key = RSAAlgorithm.from_jwk(json.dumps(response.json()["keys"][0]))
        return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_key_pem() -> str:
    if settings.JWT_PUBLIC_KEY:
        return settings.JWT_PUBLIC_KEY
    private = getattr(settings, "JWT_PRIVATE_KEY", None)
    if private:
        key = serialization.load_pem_private_key(private.encode(), password=None)
        return (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
    try:
        return _public_key_from_jwks(settings.JWT_JWKS_URL)
    except Exception as exc:
        # Not cached: the next request tries again once the auth service answers.
        raise TokenError("The token verification key is not available yet.") from exc


@functools.cache
def _backend(private_pem: str | None, public_pem: str) -> _KeyedTokenBackend:
    return _KeyedTokenBackend(
        settings.JWT_ALGORITHM,
        signing_key=private_pem,
        verifying_key=public_pem,
        audience=settings.JWT_AUDIENCE,
        issuer=settings.JWT_ISSUER,
        leeway=settings.JWT_LEEWAY_S,
        kid=_public_jwk(public_pem)["kid"],
    )


def token_backend() -> _KeyedTokenBackend:
    return _backend(getattr(settings, "JWT_PRIVATE_KEY", None), public_key_pem())


def jwks_document() -> dict:
    return {"keys": [_public_jwk(public_key_pem())]}


class _PlatformToken(Token):
    def get_token_backend(self) -> TokenBackend:
        return token_backend()

    def verify(self) -> None:
        super().verify()
        for claim in ("sub", "user_type", "iat"):
            if claim not in self.payload:
                raise TokenError(f"Token has no {claim} claim")
        if self.payload["user_type"] not in USER_TYPES:
            raise TokenError("Token has an unknown user type")


class AccessToken(_PlatformToken):
    token_type = "access"
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]


class RefreshToken(_PlatformToken):
    token_type = "refresh"
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]

    def verify(self) -> None:
        super().verify()
        if "fam" not in self.payload:
            raise TokenError("Refresh token has no family")


class MfaToken(_PlatformToken):
    """The short-lived proof that a password was right, exchanged with a TOTP code for tokens."""

    token_type = "mfa"
    lifetime = timedelta(minutes=5)


class ServiceAccessToken(AccessToken):
    lifetime = timedelta(minutes=5)


# Access tokens verified by this process, until they expire: a token is checked once per process,
# not once per request (RS256 verification was a measurable part of every request's CPU). Access
# tokens cannot be revoked (they live minutes), so the answer is the same either way; the cache is
# keyed by the verifying key too, and bounded.
_verified: dict[tuple[int, str], tuple[dict, float]] = {}
_VERIFIED_KEPT = 20_000


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header's value, else None (split as the
    services' DRF authentication splits it)."""
    parts = authorization.split()
    return parts[1] if len(parts) == 2 and parts[0].lower() == "bearer" else None


def access_claims(raw: str) -> dict:
    """The claims of a valid access token (signature, expiry, issuer, audience, type, user type);
    TokenError otherwise."""
    key = (id(token_backend()), raw)
    hit = _verified.get(key)
    if hit is not None and hit[1] > time.time():
        return hit[0]
    payload = AccessToken(raw).payload
    if len(_verified) >= _VERIFIED_KEPT:
        _verified.clear()
    _verified[key] = (payload, float(payload["exp"]) + settings.JWT_LEEWAY_S)
    return payload
