"""The `Idempotency-Key` request header (IETF draft "The Idempotency-Key HTTP Header Field"):
a client's retry of a POST with the same key gets the first answer, not a second resource."""

from __future__ import annotations

import re

from common.errors import InvalidInput

_KEY = re.compile(r"[\x21-\x7e]{1,200}")


def idempotency_key(request) -> str | None:
    """The request's key, None when it sent none; a 400 naming the header when it is not 1 to 200
    visible ASCII characters (it is stored with the order and compared as it is)."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _KEY.fullmatch(key):
        raise InvalidInput(
            "Idempotency-Key must be 1 to 200 visible ASCII characters.", details={"Idempotency-Key": ["invalid"]}
        )
    return key
