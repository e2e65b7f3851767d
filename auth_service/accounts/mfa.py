"""TOTP (RFC 6238) and recovery codes for restaurant users and operators: pure functions, no storage."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno

STEP_S = 30
DRIFT_STEPS = 1  # accept the previous and next 30 s step too: clocks on phones drift
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(*, secret: str, account_name: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4)


def matching_step(*, secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code equals `code` within the allowed drift, or None."""
    if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int((at if at is not None else time.time()) // STEP_S)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_S), code):
            return step
    return None


def current_step(at: float | None = None) -> int:
    return int((at if at is not None else time.time()) // STEP_S)


def new_recovery_codes() -> list[str]:
    return [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]


def recovery_code_hash(code: str) -> str:
    # 64 random bits per code make a slow hash unnecessary; normalising forgives case and spaces.
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return isinstance(code, str) and len(code.strip()) == 17 and "-" in code
