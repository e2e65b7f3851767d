"""OpenAPI additions shared by every service's schema (a drf-spectacular postprocessing hook)."""

from __future__ import annotations

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}

# Every route may answer these, in the contract's error format (ARCHITECTURE 5).
_ERRORS = {
    "400": "Invalid input (details name the fields)",
    "401": "Missing or invalid token",
    "403": "Not allowed for this kind of account, or not the owner",
    "404": "Not found (also: somebody else's)",
    "405": "Method not allowed",
    "409": "Conflict: duplicate, or an illegal state transition",
    "413": "Request body too large",
    "415": "Unsupported media type",
    "429": "Rate limited (see Retry-After)",
    "503": "A dependency is unavailable (see Retry-After)",
}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                for status, description in _ERRORS.items():
                    operation["responses"].setdefault(status, {"description": description, **error})
    return result
