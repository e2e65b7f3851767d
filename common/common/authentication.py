"""DRF authentication from the bearer token's claims alone: no database call per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from rest_framework import authentication, exceptions

from common.jwt import TokenError, access_claims, bearer_token


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the access token says: `id` is the token's `sub`."""

    id: str
    user_type: str
    role: str = ""
    claims: dict = field(default_factory=dict, repr=False)

    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self) -> str:
        return self.id

    def __str__(self) -> str:  # how DRF's browsable pages name the signed-in user
        return f"{self.user_type} {self.id}"


class JWTAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        token = bearer_token(header)
        if token is None:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        try:
            claims = access_claims(token)
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        principal = Principal(
            id=str(claims["sub"]), user_type=claims["user_type"], role=str(claims.get("role", "")), claims=claims
        )
        return principal, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or bad.
        return f'{self.keyword} realm="api"'
