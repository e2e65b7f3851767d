"""A JSON parser that turns every body it cannot take into the contract's 400, never a 500.

DRF's own parser lets a few bodies through to a crash or to ambiguity: a body nested thousands of
levels deep overflows the decoder's recursion (a RecursionError, not a ValueError), `NaN` and
`Infinity` are not JSON at all, and an object with the same key twice means different things to
different parsers (the gateway, a service, a client library), which is how request smuggling
between them starts. Here each is refused with `malformed_request` and a message saying why.
"""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class _Refused(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    seen = dict(pairs)  # made in C; a key twice makes it shorter than the pairs
    if len(seen) != len(pairs):
        counted: set[str] = set()
        key = next(key for key, _ in pairs if key in counted or counted.add(key))
        raise _Refused(f"The key {key!r} appears twice in one object.")
    return seen


def _not_a_number(name: str):
    raise _Refused(f"{name} is not a JSON number.")


def _depth(value: object) -> int:
    """How deeply arrays and objects nest (iteratively: no recursion to overflow)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def loads_strictly(raw: bytes | str) -> object:
    """The JSON value of `raw`, or ValueError saying what is wrong with it."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw  # UnicodeDecodeError is a ValueError
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_not_a_number)
    except RecursionError:
        raise _Refused(f"The body nests deeper than {settings.MAX_JSON_DEPTH} levels.") from None
    # Nesting is never deeper than the brackets that open it: most bodies need no walk.
    limit = settings.MAX_JSON_DEPTH
    if text.count("[") + text.count("{") > limit and _depth(value) > limit:
        raise _Refused(f"The body nests deeper than {limit} levels.")
    return value


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise ParseError("JSON bodies are UTF-8.")
        try:
            return loads_strictly(stream.read())
        except _Refused as exc:
            raise ParseError(str(exc)) from None
        except ValueError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from None
