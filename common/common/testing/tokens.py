"""Access-token claims as the auth service issues them (ARCHITECTURE 4.1), for tests that sign or
forge tokens by hand (a stranger's key, `alg: none`, an expired or wrong-audience token)."""

from __future__ import annotations

import time
import uuid


def access_claims(*, lifetime_s: int = 300, **overrides) -> dict:
    """A customer's access-token claims; `overrides` replace any of them, and one given as None is
    left out (a token missing that claim)."""
    now = int(time.time())
    claims = {
        "sub": uuid.uuid4().hex[:24],
        "user_type": "customer",
        "role": "user",
        "token_type": "access",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + lifetime_s,
        "iss": "food-delivery-auth",
        "aud": "food-delivery",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}
