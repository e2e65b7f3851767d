"""`/schema` and `/docs` at the gateway: one OpenAPI document merged from the services' `/schema`.

Only paths the gateway routes are kept (internal routes never appear), and each service's
component names are prefixed with the service (`Restaurant_Address`), since two services may
name different shapes alike.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import aiohttp
from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.views import SpectacularSwaggerSplitView

from edge import routes
from edge.proxy import upstream_session, upstream_url

_cache: dict[str, Any] = {"at": 0.0, "document": None}


def _renamed_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (renames.get(value, value) if key == "$ref" else _renamed_refs(value, renames))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_renamed_refs(item, renames) for item in node]
    return node


def _public(path: str) -> bool:
    concrete = path.replace("{", "").replace("}", "")  # "/restaurants/{restaurant_id}" -> a sample path
    return routes.resolve("GET", concrete).route is not None or bool(routes.resolve("GET", concrete).allowed)


def merge(documents: dict[str, dict]) -> dict:
    merged: dict = {
        "openapi": "3.0.3",
        "info": {
            "title": "Food delivery platform",
            "version": "1.0.0",
            "description": "Every public route, through the gateway. Authorize with a bearer access token "
            "from a login route.",
        },
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearerAuth": []}],
    }
    for service, document in documents.items():
        prefix = service.capitalize() + "_"
        schemas = document.get("components", {}).get("schemas", {})
        renames = {f"#/components/schemas/{name}": f"#/components/schemas/{prefix}{name}" for name in schemas}
        for name, schema in schemas.items():
            merged["components"]["schemas"][prefix + name] = _renamed_refs(copy.deepcopy(schema), renames)
        for path, item in document.get("paths", {}).items():
            if path.startswith("/internal") or not _public(path):
                continue
            operations = _renamed_refs(copy.deepcopy(item), renames)
            concrete = path.replace("{", "").replace("}", "")
            for method, operation in operations.items():
                if not isinstance(operation, dict):
                    continue
                operation["tags"] = [service]
                route = routes.resolve(method.upper(), concrete).route
                if route is not None and route.auth == routes.PUBLIC:
                    operation["security"] = []  # no lock in Swagger UI: anyone may call it
            merged["paths"].setdefault(path, {}).update(operations)
    return merged


async def _fetch(service: str) -> dict | None:
    try:
        async with upstream_session(service).get(
            upstream_url(service, "/schema"),
            headers={"Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(total=5),
        ) as response:
            return await response.json() if response.status == 200 else None
    except Exception:  # a service that is down leaves its paths out until the next rebuild
        return None


async def schema(request):
    now = time.monotonic()
    if _cache["document"] is None or now - _cache["at"] > settings.DOCS_CACHE_S:
        services = list(settings.UPSTREAMS)
        fetched = await asyncio.gather(*(_fetch(s) for s in services))
        documents = {s: d for s, d in zip(services, fetched, strict=True) if d is not None}
        _cache.update(document=merge(documents), at=now if len(documents) == len(services) else 0.0)
    return JsonResponse(_cache["document"])


docs = SpectacularSwaggerSplitView.as_view(url="/schema", title="Food delivery platform API")
