"""Issuing the platform's token pairs (claims per ARCHITECTURE 4.1)."""

from __future__ import annotations

from common.jwt import AccessToken, MfaToken, RefreshToken, ServiceAccessToken


def _stamp(token, *, sub: str, user_type: str, role: str):
    token["sub"] = sub
    token["user_type"] = user_type
    token["role"] = role
    return token


def issue_pair(*, account: dict, family_id: str) -> tuple[AccessToken, RefreshToken]:
    sub = str(account["_id"])
    access = _stamp(AccessToken(), sub=sub, user_type=account["user_type"], role=account.get("role", "user"))
    refresh = _stamp(RefreshToken(), sub=sub, user_type=account["user_type"], role=account.get("role", "user"))
    refresh["fam"] = family_id
    return access, refresh


def issue_mfa_token(*, account: dict) -> MfaToken:
    return _stamp(MfaToken(), sub=str(account["_id"]), user_type=account["user_type"], role=account.get("role", "user"))


def issue_service_token(*, client_id: str) -> ServiceAccessToken:
    return _stamp(ServiceAccessToken(), sub=client_id, user_type="service", role="service")


def pair_body(access: AccessToken, refresh: RefreshToken) -> dict:
    return {
        "access": str(access),
        "refresh": str(refresh),
        "token_type": "Bearer",
        "expires_in": int(AccessToken.lifetime.total_seconds()),
    }
