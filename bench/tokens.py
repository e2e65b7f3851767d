"""Access tokens for made-up users, so a benchmark can have thousands of them: registering each would
take longer than the measurement (Argon2 is slow on purpose)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import jwt


class Minter:
    """Tokens signed with the platform's key in the shape of a real one (its header and claims, with
    another subject, user type and id)."""

    def __init__(self, private_key_file: Path, real_token: str):
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        # Loaded once: PyJWT parses (and checks) a PEM key on every signature otherwise, ~50 ms each.
        self.key = load_pem_private_key(private_key_file.read_bytes(), password=None)
        self.header = jwt.get_unverified_header(real_token)
        self.claims = jwt.decode(real_token, options={"verify_signature": False})

    def token(self, sub: str, user_type: str) -> str:
        claims = {**self.claims, "sub": sub, "user_type": user_type, "jti": uuid.uuid4().hex}
        claims["iat"] = int(time.time())
        claims["exp"] = claims["iat"] + 3600
        return jwt.encode(claims, self.key, algorithm=self.header["alg"], headers={"kid": self.header.get("kid")})
