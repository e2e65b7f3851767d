"""`/api-auth/login/` and `/api-auth/logout/`: signing a browser in and out (the path DRF's
browsable pages link to); `/api-auth/signup/`: a customer creates an account and is signed in. The
mechanism is in edge/browser_sessions.py."""

from __future__ import annotations

import aiohttp
from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token, rotate_token
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from common.errors import error_response
from common.net import client_ip
from edge import ratelimit
from edge.browser_sessions import COOKIE, KIND_PATHS, auth_call, csrf_refusal, session_create, session_end

USER_TYPES = (
    ("customer", "Customer"),
    ("restaurant", "Restaurant user"),
    ("courier", "Courier"),
    ("operator", "Operator"),
)
# Where a person goes once signed in, unless a page sent them here: their own page (pages/views.py).
HOME = "/home"
SIGNUP_FIELDS = ("name", "email", "password")


def safe_next(request, target: str | None) -> str:
    """Where to go after signing in or out: a path on this site only, never elsewhere."""
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not target.startswith(("//", "/\\"))
    ):
        return target
    return "/"


def _wants_json(request) -> bool:
    return request.content_type == "application/json"


def _form(request, *, status: int = 200, **context):
    csrf_token_for_page(request)
    page = render(
        request,
        "edge/signin.html",
        {
            "user_types": USER_TYPES,
            "next": safe_next(request, context.pop("next", None) or HOME),
            "user_type": context.pop("user_type", "customer"),
            **context,
        },
        status=status,
    )
    return with_csrf_cookie(request, page)


def csrf_token_for_page(request) -> str:
    """The CSRF token a page's forms send, made from the browser's own secret when it has one: a
    new secret at every page would leave the person's other open pages (another tab, one kept by the
    browser's back button) with a token that no longer matches. Its cookie: `with_csrf_cookie`."""
    from django.middleware.csrf import CsrfViewMiddleware

    CsrfViewMiddleware(lambda _request: None).process_request(request)  # reads the secret from the cookie
    return get_token(request)


def with_csrf_cookie(request, response):
    from django.middleware.csrf import CsrfViewMiddleware

    return CsrfViewMiddleware(lambda _request: response).process_response(request, response)


async def login(request):  # noqa: PLR0911 - one answer per outcome, top to bottom
    if (answer := await _unless_posted(request, _form)) is not None:
        return answer
    data = _data(request)
    user_type, target = data.get("user_type", "customer"), data.get("next")
    if user_type not in KIND_PATHS:
        return _refused(request, 400, "invalid", "Choose customer, restaurant, courier or operator.", next=target)
    try:
        status, body = await _authenticate(user_type, data)
    except (aiohttp.ClientError, TimeoutError):
        return _refused(request, 503, "upstream_unavailable", "Signing in is not possible right now.", next=target)
    if status == 200 and body.get("mfa_required"):
        if _wants_json(request):
            return JsonResponse({"mfa_required": True, "mfa_token": body["mfa_token"]})
        return _form(request, mfa_token=body["mfa_token"], user_type=user_type, next=target)
    if status != 200 or "access" not in body:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        return _refused(
            request,
            status if 400 <= status < 500 else 503,
            error.get("code", "invalid_credentials"),
            error.get("message", "Those details did not work."),
            user_type=user_type,
            email=data.get("email", ""),
            next=target,
            mfa_token=data.get("mfa_token"),
        )
    return await _signed_in(request, tokens=body, user_type=user_type, target=target or HOME)


async def _unless_posted(request, form):
    """The answer to give unless this is the form, posted from the platform's own pages within the
    rate limit: the `form` for GET and HEAD, 405 for other methods, else the guard's refusal."""
    if request.method in ("GET", "HEAD"):
        return form(request, next=request.GET.get("next"))
    if request.method != "POST":
        return error_response(405, "method_not_allowed", "GET or POST.", headers={"Allow": "GET, HEAD, POST"})
    return await _guard(request)


async def _guard(request):
    """The CSRF check (no signing in someone else's browser either) and the sign-in rate limit."""
    request.body  # noqa: B018 - read once, so both the CSRF check and the form parsing can use it
    if (refusal := csrf_refusal(request)) is not None:
        return refusal
    if settings.RATE_LIMITS_ENABLED:
        policy = ratelimit.Policy("auth", settings.RATE_LIMIT_AUTH_PER_MINUTE, 60)
        state = await ratelimit.check(policy, f"ip:{client_ip(request)}")
        if not state.allowed:
            return error_response(
                429,
                "rate_limited",
                "Too many sign-in attempts; try again later.",
                headers={"Retry-After": str(max(1, state.retry_after_s))},
            )
    return None


async def _authenticate(user_type: str, data: dict) -> tuple[int, dict]:
    """The first step (email and password), or the second (the code, for restaurant users with it on
    and, always, operators); the auth service decides which kinds take a code."""
    if data.get("mfa_token"):
        second_step = {"mfa_token": data["mfa_token"], "code": data.get("code", "")}
        return await auth_call(f"/{KIND_PATHS[user_type]}/login/mfa", second_step)
    credentials = {"email": data.get("email", ""), "password": data.get("password", "")}
    return await auth_call(f"/{KIND_PATHS[user_type]}/login", credentials)


async def _signed_in(request, *, tokens: dict, user_type: str, target: str | None):
    if old := request.COOKIES.get(COOKIE):
        await session_end(old)
    session_id = await session_create(tokens=tokens, user_type=user_type)
    rotate_token(request)  # a new CSRF secret for the signed-in browser
    response = (
        JsonResponse({"user_type": user_type, "signed_in": True})
        if _wants_json(request)
        else HttpResponseRedirect(safe_next(request, target))
    )
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=settings.BROWSER_SESSION_TTL_S,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
        path="/",
    )
    return with_csrf_cookie(request, response)


def _data(request) -> dict:
    if _wants_json(request):
        import json

        try:
            parsed = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return {k: v for k, v in parsed.items() if isinstance(v, str)} if isinstance(parsed, dict) else {}
    return {key: request.POST.get(key) for key in request.POST}


def _refused(request, status: int, code: str, message: str, **form):
    if _wants_json(request):
        return error_response(status, code, message)
    return _form(request, status=status, error=message, **{k: v for k, v in form.items() if v is not None})


def _signup_form(request, *, status: int = 200, **context):
    csrf_token_for_page(request)
    context = {**context, "next": safe_next(request, context.get("next") or HOME)}
    return with_csrf_cookie(request, render(request, "edge/signup.html", context, status=status))


async def signup(request):
    """`GET, POST /api-auth/signup/`: a customer's new account (the auth service's
    `POST /customers/register`), signed in at once, then to `next` (their shop by default)."""
    if (answer := await _unless_posted(request, _signup_form)) is not None:
        return answer
    data = _data(request)
    fields = {name: data.get(name) or "" for name in SIGNUP_FIELDS}
    target = data.get("next")
    try:
        status, body = await auth_call("/customers/register", fields)
        if status == 201:
            status, body = await auth_call(
                "/customers/login", {"email": fields["email"], "password": fields["password"]}
            )
    except (aiohttp.ClientError, TimeoutError):
        status, body = 503, {}
    if status == 200 and "access" in body:
        return await _signed_in(request, tokens=body, user_type="customer", target=target or HOME)
    error = body.get("error", {}) if isinstance(body, dict) else {}
    if _wants_json(request):
        return error_response(
            status if 400 <= status < 500 else 503,
            error.get("code", "upstream_unavailable"),
            error.get("message", "Signing up is not possible right now."),
            error.get("details"),
        )
    details = error.get("details") or {}
    return _signup_form(
        request,
        status=status if 400 <= status < 500 else 503,
        error=error.get("message", "Signing up is not possible right now; try again in a moment."),
        field_errors={
            name: " ".join(map(str, details[name])) for name in SIGNUP_FIELDS if isinstance(details.get(name), list)
        },
        name=fields["name"],
        email=fields["email"],
        next=target,
    )


async def logout(request):
    if request.method != "POST":
        return error_response(405, "method_not_allowed", "Sign out with POST.", headers={"Allow": "POST"})
    request.body  # noqa: B018
    if (refusal := csrf_refusal(request)) is not None:  # no signing someone out from elsewhere
        return refusal
    if session_id := request.COOKIES.get(COOKIE):
        await session_end(session_id)
    # DRF's "Log out" form names the page to come back to in its query string.
    target = (request.POST.get("next") or request.GET.get("next")) if not _wants_json(request) else None
    response = (
        JsonResponse({"signed_in": False}) if _wants_json(request) else HttpResponseRedirect(safe_next(request, target))
    )
    response.delete_cookie(COOKIE, path="/", samesite="Lax")
    return response
