"""What every page view does: who is signed in, the API's answer to them, the refusal page, and
rendering with what the scripts need (the CSRF token, the page's configuration).

A page opens for whoever the services would answer: each view asks the service behind it with the
signed-in user's own token (put in by the browser session, edge/browser_sessions.py), so a page
refuses exactly as the API does (404 for another user's order, 403 for another restaurant's board
or the wrong kind of user). Not signed in: to the sign-in form, and back.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import quote

import aiohttp
from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render

from common.jwt import TokenError, access_claims
from edge.proxy import upstream_session, upstream_url
from edge.signin import csrf_token_for_page, with_csrf_cookie
from pages.config import page_config

KIND_NAMES = {"customer": "customer", "restaurant": "restaurant user", "courier": "courier", "operator": "operator"}


def signed_in(request) -> dict | None:
    """The verified claims of the signed-in user (a browser session, or a bearer client), or None."""
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    try:
        return access_claims(parts[1])
    except TokenError:
        return None


async def api(request, service: str, path: str) -> tuple[int, dict]:
    """The service's answer to the signed-in user's GET, as a client of the API would get it; 503
    and nothing when the service cannot answer."""
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


class Instead(Exception):
    """A page that cannot be shown: `response` is the answer to give instead (the sign-in form, or
    the refusal page as the API refused). Raised by `person` and `answered`, answered by `page_view`."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def page_view(view):
    """A page view whose steps may find that it cannot be shown (they raise `Instead`)."""

    @functools.wraps(view)
    async def answering(request, *args, **kwargs):
        try:
            return await view(request, *args, **kwargs)
        except Instead as instead:
            return instead.response

    return answering


def person(request) -> dict:
    """The signed-in person's claims; to the sign-in form (and back) when nobody is signed in."""
    claims = signed_in(request)
    if claims is None:
        raise Instead(to_sign_in(request))
    return claims


async def answered(request, claims: dict, service: str, path: str) -> dict:
    """The service's answer to the signed-in person's GET; refused as the API refuses otherwise."""
    status, answer = await api(request, service, path)
    if status != 200:
        raise Instead(refused(request, status, answer, claims=claims))
    return answer


def to_sign_in(request) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/api-auth/login/?next={quote(request.get_full_path(), safe='/')}")


def refused(request, status: int, answer: dict, *, claims: dict | None):
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
    }
    return page(request, "pages/refused.html", context, claims=claims, status=status if status in (403, 404) else 503)


def page(request, template: str, context: dict, *, claims: dict | None, status: int = 200):
    """Renders a page for the signed-in person, with the CSRF token its buttons send (and its cookie)."""
    csrf_token_for_page(request)
    context = {
        **context,
        "claims": claims,
        "who": claims and KIND_NAMES.get(claims.get("user_type"), claims.get("user_type")),
        "page_config": page_config(),
    }
    return with_csrf_cookie(request, render(request, template, context, status=status))
