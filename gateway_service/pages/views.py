"""The live pages for people (ARCHITECTURE 5, "In a browser"): the customer's tracking page, the
kitchen's board and the courier's task page.

Server-rendered templates that show what the services answer and then what their live streams send;
the rules stay in the services. A page opens for whoever the services would answer: each view asks
the service behind it with the signed-in user's own token (put in by the browser session), so the
page refuses exactly as the API does (404 for another user's order, 403 for another restaurant's
board or the wrong kind of user). Not signed in: to the sign-in form, and back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import mimetypes
from pathlib import Path
from urllib.parse import quote

import aiohttp
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, HttpResponseNotModified, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render

from common.errors import error_response
from common.jwt import TokenError, access_claims
from edge.proxy import upstream_session, upstream_url
from edge.signin import _with_csrf_cookie

KIND_NAMES = {"customer": "customer", "restaurant": "restaurant user", "courier": "courier", "operator": "operator"}


def _signed_in(request) -> dict | None:
    """The verified claims of the signed-in user (a browser session, or a bearer client), or None."""
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    try:
        return access_claims(parts[1])
    except TokenError:
        return None


async def _api(request, service: str, path: str) -> tuple[int, dict]:
    """The service's answer to the signed-in user, as a client of the API would get it."""
    headers = {"Authorization": request.headers["Authorization"], "Accept": "application/json"}
    if request_id := getattr(request, "request_id", None):
        headers["X-Request-ID"] = request_id
    try:
        async with upstream_session(service).get(
            upstream_url(service, path),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=settings.UPSTREAM_READ_TIMEOUT_S),
        ) as response:
            text = await response.text()
            try:
                return response.status, (json.loads(text) if text else {})
            except ValueError:
                return 503, {}
    except (aiohttp.ClientError, TimeoutError):
        return 503, {}


def _to_sign_in(request) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/api-auth/login/?next={quote(request.get_full_path(), safe='/')}")


def _refused(request, status: int, answer: dict, *, claims: dict | None):
    error = answer.get("error", {})
    messages = {
        403: "This page is not yours to see.",
        404: "There is nothing here for you: no such thing, or it is not yours.",
        503: "The platform cannot show this right now; try again in a moment.",
    }
    context = {
        "status": status,
        "message": messages.get(status, "This page cannot be shown."),
        "detail": error.get("message", ""),
        "who": claims and KIND_NAMES.get(claims.get("user_type"), claims.get("user_type")),
    }
    return render(request, "pages/refused.html", context, status=status if status in (403, 404) else 503)


def _page(request, template: str, context: dict):
    get_token(request)  # the CSRF token the page's buttons send, and its cookie
    return _with_csrf_cookie(request, render(request, template, context))


def _data(value) -> str:
    """JSON for a `<script type="application/json">` block (data, never run)."""
    return json.dumps(value).replace("<", "\\u003c")


async def track(request, order_id: str):
    """`GET /orders/{id}/track`: the order's status as a timeline, its estimated arrival and a map
    with the restaurant, the address and the courier moving. For the order's parties."""
    claims = _signed_in(request)
    if claims is None:
        return _to_sign_in(request)
    status, order = await _api(request, "order", f"/orders/{quote(order_id, safe='')}")
    if status != 200:
        return _refused(request, status, order, claims=claims)
    return _page(request, "pages/track.html", {"order": order, "order_json": _data(order), "claims": claims})


async def board(request, restaurant_id: str):
    """`GET /restaurants/{rid}/board`: the kitchen's open orders by status, live. For the owner."""
    claims = _signed_in(request)
    if claims is None:
        return _to_sign_in(request)
    rid = quote(restaurant_id, safe="")
    # The owner's order list answers who may see the board: 403 not_owner, 404, or the orders.
    status, answer = await _api(request, "restaurant", f"/restaurants/{rid}/orders?page_size=1")
    if status != 200:
        return _refused(request, status, answer, claims=claims)
    _status, restaurant = await _api(request, "restaurant", f"/restaurants/{rid}")
    context = {"restaurant": restaurant, "restaurant_json": _data(restaurant), "claims": claims}
    return _page(request, "pages/board.html", context)


async def courier_app(request):
    """`GET /couriers/me/app`: availability, the delivery at hand on a map, picked up / delivered,
    and sharing the browser's position. For couriers."""
    claims = _signed_in(request)
    if claims is None:
        return _to_sign_in(request)
    status, courier = await _api(request, "delivery", "/couriers/me")
    if status != 200:
        return _refused(request, status, courier, claims=claims)
    return _page(request, "pages/courier.html", {"courier": courier, "courier_json": _data(courier), "claims": claims})


_files: dict[str, tuple[bytes, str, str]] = {}


async def static(request, path: str):
    """The pages' own assets (`pages/static/pages/`), from the gateway itself: small, read once."""
    if path not in _files:
        found = finders.find(f"pages/{path}") if ".." not in path else None
        if not found:
            return error_response(404, "not_found", "No such file.", {"path": request.path})
        content = await asyncio.to_thread(Path(found).read_bytes)  # once per file, then from memory
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        _files[path] = (content, content_type, f'"{hashlib.sha256(content).hexdigest()[:16]}"')
    content, content_type, etag = _files[path]
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = HttpResponse(content, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"  # revalidate: a new release's files are seen at once
    return response
