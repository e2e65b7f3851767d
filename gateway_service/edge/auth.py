"""The edge token check: refuse a missing or bad access token before any upstream call.

Services verify the token again themselves (and check the user type per route); this check only
keeps obviously unauthenticated traffic off them.
"""

from __future__ import annotations

from common.errors import error_response
from common.jwt import TokenError, access_claims, bearer_token


def edge_token_check(request):
    """(refusal response or None, the token's claims when valid)."""
    token = bearer_token(request.headers.get("Authorization", ""))
    if token is None:
        return _unauthorized("not_authenticated", "Authentication credentials were not provided."), None
    try:
        return None, access_claims(token)
    except TokenError as exc:
        return _unauthorized("authentication_failed", str(exc)), None


def _unauthorized(code: str, message: str):
    return error_response(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="api"'})
