"""Per-client rate limits at the edge, counted in Redis (fixed one-minute windows).

Two classes: `auth` (sign-in, registration, token refresh, MFA: guessing targets) is counted per
client address; `default` (everything else) per user when a valid token names one, else per
address. Over the limit: 429 with `Retry-After`; every limited response carries `RateLimit-Policy`
and `RateLimit` (IETF draft-ietf-httpapi-ratelimit-headers). When Redis is unreachable the gateway
keeps serving (fail open) and logs it: an outage of the counter store must not become an outage
of the platform; the auth service still throttles failed sign-ins itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import redis.asyncio as aioredis
from django.conf import settings
from prometheus_client import Counter

from common.errors import error_response
from common.ratelimit import WindowState, window_hit_async

REJECTIONS = Counter("gateway_rate_limited_total", "Requests refused by the gateway's rate limits", ["policy"])

AUTH_ACTIONS = ("/login", "/register", "/refresh-token", "/logout", "/login/mfa", "/mfa/setup", "/mfa/confirm")


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int
    window_s: int


def policy_for(path: str) -> Policy:
    if path.endswith(AUTH_ACTIONS):
        return Policy("auth", settings.RATE_LIMIT_AUTH_PER_MINUTE, 60)
    return Policy("default", settings.RATE_LIMIT_DEFAULT_PER_MINUTE, 60)


@functools.cache
def _client(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url,
        socket_timeout=settings.REDIS_TIMEOUT_S,
        socket_connect_timeout=settings.REDIS_TIMEOUT_S,
        decode_responses=True,
    )


async def check(policy: Policy, subject: str) -> WindowState:
    return await window_hit_async(
        _client(settings.REDIS_URL), f"{policy.name}:{subject}", limit=policy.limit, window_s=policy.window_s
    )


def headers(policy: Policy, state: WindowState) -> dict[str, str]:
    reset = state.retry_after_s or policy.window_s
    return {
        "RateLimit-Policy": f'"{policy.name}";q={policy.limit};w={policy.window_s}',
        "RateLimit": f'"{policy.name}";r={state.remaining};t={reset}',
    }


async def enforce(path: str, claims: dict | None, address: str) -> tuple:
    """(the 429 refusal or None, the headers every limited answer carries): counted per user when a
    token names one and the policy is `default`, else per address; nothing when limits are off."""
    if not settings.RATE_LIMITS_ENABLED:
        return None, {}
    policy = policy_for(path)
    subject = f"user:{claims['sub']}" if claims and policy.name == "default" else f"ip:{address}"
    state = await check(policy, subject)
    limit_headers = headers(policy, state)
    if state.allowed:
        return None, limit_headers
    REJECTIONS.labels(policy.name).inc()
    refusal = error_response(
        429,
        "rate_limited",
        "Too many requests; try again later.",
        {"policy": policy.name},
        headers={**limit_headers, "Retry-After": str(max(1, state.retry_after_s))},
    )
    return refusal, limit_headers
