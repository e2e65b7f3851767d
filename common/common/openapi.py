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


def stream_operation(operation_id: str, summary: str, description: str, *, path_params: tuple[str, ...] = ()) -> dict:
    """The OpenAPI description of a stream route (drf-spectacular cannot see plain async views)."""
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": description
            + " Every event has an `id:`; reconnect with `Last-Event-ID` (or `?last_event_id=`) to get exactly"
            " what was missed while the platform still has it, else a fresh snapshot. `retry:` says when to"
            " reconnect; `: heartbeat` comments keep idle connections open.",
            "parameters": [
                *({"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in path_params),
                {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"}},
                {"name": "last_event_id", "in": "query", "required": False, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "An event stream",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "401": {"description": "No or bad token"},
                "403": {"description": "Not for this kind of account, or not the owner"},
                "404": {"description": "No such resource, or not yours"},
                "429": {"description": "Too many open streams for this user"},
                "503": {"description": "Overloaded or a dependency is unavailable; see Retry-After"},
            },
        }
    }
