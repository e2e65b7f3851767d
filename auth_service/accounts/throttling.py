"""Login and MFA abuse limits, counted in Redis.

Failures are counted per account and per client address. The account window is short, so an
attacker guessing a real user's password can delay them by minutes at most, never lock them out
for long; the address window catches one client trying many accounts. Only failures count, and
a successful login clears the account's counter.
"""

from __future__ import annotations

from django.conf import settings

from common.errors import RateLimited
from common.ratelimit import window_hit, window_peek, window_reset


def _account_key(user_type: str, email: str) -> str:
    return f"login-acct:{user_type}:{email}"


def _ip_key(ip: str) -> str:
    return f"login-ip:{ip}"


def login_check(*, user_type: str, email: str, ip: str) -> None:
    for name, limit in (
        (_account_key(user_type, email), settings.LOGIN_FAILURES_PER_ACCOUNT),
        (_ip_key(ip), settings.LOGIN_FAILURES_PER_IP),
    ):
        state = window_peek(name, limit=limit)
        if not state.allowed:
            raise RateLimited(state.retry_after_s, "Too many failed sign-in attempts; try again later.")


def login_failed(*, user_type: str, email: str, ip: str) -> None:
    window_hit(
        _account_key(user_type, email),
        limit=settings.LOGIN_FAILURES_PER_ACCOUNT,
        window_s=settings.LOGIN_ACCOUNT_WINDOW_S,
    )
    window_hit(_ip_key(ip), limit=settings.LOGIN_FAILURES_PER_IP, window_s=settings.LOGIN_IP_WINDOW_S)


def login_succeeded(*, user_type: str, email: str) -> None:
    window_reset(_account_key(user_type, email))


def mfa_check(*, account_id: str) -> None:
    state = window_peek(f"mfa:{account_id}", limit=settings.MFA_FAILURES_PER_ACCOUNT)
    if not state.allowed:
        raise RateLimited(state.retry_after_s, "Too many wrong codes; try again later.")


def mfa_failed(*, account_id: str) -> None:
    window_hit(f"mfa:{account_id}", limit=settings.MFA_FAILURES_PER_ACCOUNT, window_s=settings.MFA_WINDOW_S)
