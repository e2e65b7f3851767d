"""The placement fast path: `POST /customers/me/orders` without Django's handler or DRF.

Placement is the request whose latency customers feel, and under load the order service is the
platform's bottleneck. Profiled at 20 concurrent customers (bench/RESULTS.md, #23), about 40% of its
CPU per order was around the placement itself: Django's handler and middleware chain, DRF's
dispatch (authentication, permissions, content negotiation), the input serializer's validation,
the response's rendering. Here an order a customer sends as the contract shows it (a JSON body
whose ids, lines and quantities are what the view would take unchanged, a valid customer token, a
valid `Idempotency-Key` if any, a public host Django accepts) is placed by the same function the
view calls (`services.customer_order_place`, on a thread: pymongo and redis-py block) and rendered
by the same serializer and renderer, with the view's headers (common/lean_routes.py adds the
in-flight limit, request id, security headers and metrics). Anything else reaches the DRF view
untouched and is answered there, errors and the browsable API's form included.

Once the order may have been stored, its answer is never left to Django: Django would place it a
second time (without an `Idempotency-Key`, as a second order). A failure from then on gets the answer
the view's exception handler gives (`common.errors.api_exception_handler`): the contract's error,
a 500 `internal_error` logged for anything unexpected.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.utils.log import log_response
from rest_framework.renderers import JSONRenderer

from common.errors import InvalidInput, api_exception_handler
from common.idempotency import idempotency_key
from common.lean_routes import LeanRoute, Reply, blocking, json_request
from orders import services
from orders.serializers import OrderOutput

PATH = "/customers/me/orders"
# The DRF route's URL pattern: placement's metrics are one series whichever way it was answered.
ROUTE = "^customers/me/orders$"
# What the view's answers carry besides the security headers and the request id (DRF's
# `finalize_response`); the equivalence tests keep the two in step.
_HEADERS = ((b"content-type", b"application/json"), (b"vary", b"Accept"), (b"allow", b"GET, POST, HEAD, OPTIONS"))
_REPLAYED = ((b"idempotent-replayed", b"true"),)

# What `CustomerPlaceOrderInput` takes as it is: ids its CharFields keep unchanged (no whitespace to
# trim, no null or surrogate characters), menu item ids its RegexField matches, whole quantities in
# its range, 1 to 50 lines with each item once. The rest (numbers as text, padded ids, ...) the
# view converts or refuses.
_ID = re.compile(r"[0-9A-Za-z_.:-]{1,64}")
_MENU_ITEM_ID = re.compile(r"[0-9a-f]{24}")
_QUANTITIES = range(1, 51)
_LINES = range(1, 51)

_renderer = JSONRenderer()


def _lines(items) -> list[dict] | None:
    if not isinstance(items, list) or len(items) not in _LINES:
        return None
    lines = []
    for line in items:
        if not isinstance(line, dict):
            return None
        item_id, quantity = line.get("menu_item_id"), line.get("quantity")
        if not (isinstance(item_id, str) and _MENU_ITEM_ID.fullmatch(item_id)):
            return None
        if type(quantity) is not int or quantity not in _QUANTITIES:
            return None
        lines.append({"menu_item_id": item_id, "quantity": quantity})
    return lines if len({line["menu_item_id"] for line in lines}) == len(lines) else None


def _is_id(value) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _placement(scope, headers: Mapping[bytes, bytes], body: bytes) -> tuple[dict, ASGIRequest] | None:
    """(`customer_order_place`'s arguments, the request as Django would see it) when the fast path
    can take the order as it is, else None."""
    if (taken := json_request(scope, headers, body, user_type="customer")) is None:
        return None
    claims, order = taken
    if not isinstance(order, dict) or not (_is_id(order.get("restaurant_id")) and _is_id(order.get("address_id"))):
        return None
    if (lines := _lines(order.get("items"))) is None:
        return None
    request = ASGIRequest(scope, io.BytesIO(body))
    try:
        key = idempotency_key(request)
        request.get_host()  # the public host the tracking link is on (X-Forwarded-Host), as Django checks it
    except (InvalidInput, DisallowedHost):
        return None
    arguments = {
        "customer_id": str(claims["sub"]),
        "restaurant_id": order["restaurant_id"],
        "items": lines,
        "address_id": order["address_id"],
        "idempotency_key": key,
    }
    return arguments, request


async def place(scope, headers: Mapping[bytes, bytes], body: bytes) -> Reply | None:
    """Places the order and answers as the view does, or None to leave the request to the view."""
    if (taken := _placement(scope, headers, body)) is None:
        return None
    arguments, request = taken
    # From here on the order may be stored: every outcome is answered here.
    try:
        order, created = await blocking(services.customer_order_place, **arguments)
        rendered = _renderer.render(OrderOutput(order, context={"request": request}).data)
    except Exception as exc:  # answered as the view's exception handler answers it
        return _failure(exc, request)
    return Reply(201, _HEADERS if created else _HEADERS + _REPLAYED, rendered)


def _failure(exc: Exception, request: ASGIRequest) -> Reply:
    response = api_exception_handler(exc, {"view": None})
    log_response("%s: %s", response.reason_phrase, PATH, response=response, request=request)  # Django's line
    own = tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.items()
        if name.lower() != "content-type"  # DRF's placeholder until the renderer sets it
    )
    return Reply(response.status_code, _HEADERS + own, _renderer.render(response.data))


def with_placements(app) -> LeanRoute:
    return LeanRoute(app, method="POST", path=PATH, route=ROUTE, answer=place, max_body=16 * 1024)
