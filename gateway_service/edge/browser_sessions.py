"""Signing in with a browser (ARCHITECTURE 5, "In a browser"): a session at the gateway that turns
a cookie into the bearer token the services expect.

A browser page cannot set an `Authorization` header, so `/api-auth/login/` signs in through the
auth service as any client would and keeps the tokens server-side, in Redis under a random id; the
browser only gets that id in an HttpOnly, SameSite=Lax cookie (Secure under HTTPS). On every
request that carries the cookie and no `Authorization` header, the gateway puts the access token
in, refreshing it through the auth service shortly before it expires. Unsafe methods on a cookie
need Django's CSRF token (the `csrftoken` cookie, sent back as `X-CSRFToken` or the form's
`csrfmiddlewaretoken`) and a same-site Origin: a page elsewhere cannot act for the user. Bearer
clients are untouched: their header wins and no CSRF token is asked of them.
"""

from __future__ import annotations

import json
import logging
import secrets
import time

import aiohttp
import redis
from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware

from common.errors import error_response
from common.jwt import AccessToken, TokenError
from common.redis_client import get_async_redis, redis_key
from edge.proxy import upstream_session, upstream_url

logger = logging.getLogger(__name__)

COOKIE = "fd_session"
KIND_PATHS = {"customer": "customers", "restaurant": "restaurants", "courier": "couriers", "operator": "operators"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
REFRESH_MARGIN_S = 30


def _key(session_id: str) -> str:
    return redis_key("browser-session", session_id)


async def session_create(*, tokens: dict, user_type: str) -> str:
    session_id = secrets.token_urlsafe(32)
    await _save(session_id, _session_of(tokens, user_type=user_type))
    return session_id


def _session_of(tokens: dict, *, user_type: str) -> dict:
    claims = AccessToken(tokens["access"]).payload
    return {
        "user_type": user_type,
        "user_id": claims["sub"],
        "access": tokens["access"],
        "refresh": tokens["refresh"],
        "access_exp": claims["exp"],
    }


async def _save(session_id: str, session: dict) -> None:
    await get_async_redis().set(_key(session_id), json.dumps(session), ex=settings.BROWSER_SESSION_TTL_S)


async def session_get(session_id: str) -> dict | None:
    try:
        raw = await get_async_redis().get(_key(session_id))
    except (redis.RedisError, OSError):
        logger.warning("browser sessions unavailable (Redis)")
        return None
    return json.loads(raw) if raw else None


async def session_end(session_id: str) -> dict | None:
    """Forgets the session and revokes its refresh-token family at the auth service."""
    session = await session_get(session_id)
    if session is None:
        return None
    await get_async_redis().delete(_key(session_id))
    try:
        await auth_call(f"/{KIND_PATHS[session['user_type']]}/logout", {"refresh": session["refresh"]})
    except (aiohttp.ClientError, TimeoutError):
        logger.warning("refresh token not revoked at sign-out; it expires on its own")
    return session


async def auth_call(path: str, body: dict) -> tuple[int, dict]:
    async with upstream_session("auth").post(
        upstream_url("auth", path),
        data=json.dumps(body),
        # The proxy's pooled session adds no headers of its own (it relays the client's).
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        timeout=aiohttp.ClientTimeout(total=settings.UPSTREAM_READ_TIMEOUT_S),
    ) as response:
        text = await response.text()
        return response.status, (json.loads(text) if text else {})


async def _fresh_access(session_id: str, session: dict) -> str | None:
    """The session's access token, refreshed first when it is about to expire; None when the
    session can no longer be refreshed (its family was revoked, or it expired)."""
    if session["access_exp"] - time.time() > REFRESH_MARGIN_S:
        return session["access"]
    client = get_async_redis()
    lock = client.lock(_key(session_id) + ":refresh", timeout=10, blocking_timeout=5)
    async with lock:  # one refresh per session at a time: refresh tokens rotate
        latest = await session_get(session_id)
        if latest is None:
            return None
        if latest["access_exp"] - time.time() > REFRESH_MARGIN_S:
            return latest["access"]  # another request refreshed it meanwhile
        status, body = await auth_call(
            f"/{KIND_PATHS[latest['user_type']]}/refresh-token", {"refresh": latest["refresh"]}
        )
        if status != 200:
            await client.delete(_key(session_id))
            return None
        await _save(session_id, _session_of(body, user_type=latest["user_type"]))
        return body["access"]


def csrf_refusal(request):
    """Django's own CSRF check (token and Origin/Referer); a refusal comes from `csrf_failure`."""
    check = CsrfViewMiddleware(lambda _request: None)
    check.process_request(request)
    return check.process_view(request, _needs_csrf, (), {})


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: the contract's error shape, with Django's reason ("CSRF token missing.",
    "Origin checking failed - https://elsewhere.example does not match any trusted origins.")."""
    return error_response(403, "csrf_failed", f"CSRF verification failed: {reason or 'refused'}")


def _needs_csrf(request):  # a stand-in view that is not csrf_exempt
    return None


def session_id_of(request) -> str | None:
    """The browser session a request rides on: its cookie's, unless it brings a token of its own
    (or signs in or out)."""
    session_id = request.COOKIES.get(COOKIE)
    if session_id and "HTTP_AUTHORIZATION" not in request.META and not request.path.startswith("/api-auth/"):
        return session_id
    return None


class BrowserSessionMiddleware:
    """Turns the session cookie into a bearer token for the services (see the module's doc).
    Async only: the gateway's whole chain is, so a request never hops to a thread."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        if session_id := session_id_of(request):
            session = await session_get(session_id)
            if session is not None:
                if request.method not in SAFE_METHODS:
                    request.body  # noqa: B018 - read before the CSRF check parses a form; the proxy needs it
                    if (refusal := csrf_refusal(request)) is not None:
                        return refusal
                try:
                    access = await _fresh_access(session_id, session)
                except (aiohttp.ClientError, TimeoutError, redis.RedisError, TokenError):
                    access = None
                if access is not None:
                    request.META["HTTP_AUTHORIZATION"] = f"Bearer {access}"
                    request.__dict__.pop("headers", None)  # a cached view of the headers must see it
                    request.browser_user = session
        return await self.get_response(request)
