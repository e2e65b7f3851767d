"""The auth service's rules: registration, sign-in, token rotation, logout, MFA, operators, service tokens."""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError

from accounts import mfa, repository, throttling
from accounts.errors import (
    EmailAlreadyRegistered,
    InvalidCredentials,
    InvalidMfaCode,
    InvalidServiceCredentials,
    InvalidToken,
    MfaStateConflict,
    TokenReused,
    WeakPassword,
)
from accounts.tokens import issue_mfa_token, issue_pair, issue_service_token, pair_body
from common.errors import NotFound
from common.jwt import MfaToken, RefreshToken, TokenError
from common.mongo import get_database, parse_object_id

# Verifying against this keeps an unknown email as slow as a wrong password (no timing oracle).
_DUMMY_HASH = make_password("not-a-real-password-just-for-timing")

OPERATOR = "operator"
# Kinds of account that may sign in with a code: restaurant users once they turn it on, operators
# always (ARCHITECTURE 4.6: their password alone never gives tokens).
MFA_KINDS = frozenset({"restaurant", OPERATOR})
MFA_ALWAYS = frozenset({OPERATOR})


def _now() -> datetime:
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    return email.strip().lower()


class _PasswordOwner:
    """What UserAttributeSimilarityValidator compares the password against.

    The validator names the matching attribute through `user._meta.get_field(...).verbose_name`,
    as on a model; accounts are documents, so this provides just that.
    """

    class _meta:  # noqa: N801 - the attribute name the validator reads
        @staticmethod
        def get_field(name: str) -> SimpleNamespace:
            return SimpleNamespace(verbose_name=name)

    def __init__(self, email: str, name: str):
        self.email = email
        self.name = name


def _check_password_strength(password: str, *, email: str, name: str) -> None:
    try:
        validate_password(password, user=_PasswordOwner(email, name))
    except DjangoValidationError as exc:
        raise WeakPassword("The password is too weak.", details={"password": list(exc.messages)}) from exc


def account_register(*, user_type: str, email: str, password: str, name: str) -> dict:
    email = normalize_email(email)
    _check_password_strength(password, email=email, name=name)
    try:
        return repository.account_insert(
            get_database(),
            user_type=user_type,
            email=email,
            password_hash=make_password(password),
            name=name.strip(),
            now=_now(),
        )
    except repository.EmailTaken as exc:
        raise EmailAlreadyRegistered(details={"email": email}) from exc


def _start_session(account: dict) -> dict:
    family_id = uuid.uuid4().hex
    access, refresh = issue_pair(account=account, family_id=family_id)
    repository.family_create(
        get_database(),
        family_id=family_id,
        account_id=account["_id"],
        user_type=account["user_type"],
        jti=refresh["jti"],
        now=_now(),
        expires_at=datetime.fromtimestamp(refresh["exp"], UTC),
    )
    return pair_body(access, refresh)


def _rehash(account: dict):
    """Stores the password hashed at today's cost when it was hashed at an older one (accounts/hashers.py)."""

    def store(password: str) -> None:
        repository.account_set_password_hash(
            get_database(), account_id=account["_id"], password_hash=make_password(password)
        )

    return store


def account_login(*, user_type: str, email: str, password: str, client_ip: str) -> dict:
    """Tokens, or `{mfa_required, mfa_token}` for a restaurant user with MFA on and, always, an operator."""
    email = normalize_email(email)
    throttling.login_check(user_type=user_type, email=email, ip=client_ip)
    account = repository.account_by_email(get_database(), user_type=user_type, email=email)
    password_ok = check_password(
        password, account["password"] if account else _DUMMY_HASH, setter=account and _rehash(account)
    )
    if account is None or not password_ok:
        throttling.login_failed(user_type=user_type, email=email, ip=client_ip)
        raise InvalidCredentials()
    throttling.login_succeeded(user_type=user_type, email=email)
    if user_type in MFA_ALWAYS or account.get("mfa", {}).get("enabled"):
        return {"mfa_required": True, "mfa_token": str(issue_mfa_token(account=account))}
    return _start_session(account)


def _presented_refresh(*, user_type: str, refresh_token: str) -> RefreshToken:
    """The refresh token as presented, if it is valid and of this kind of account."""
    try:
        presented = RefreshToken(refresh_token)
    except TokenError as exc:
        raise InvalidToken() from exc
    if presented["user_type"] != user_type:
        raise InvalidToken()
    return presented


def session_refresh(*, user_type: str, refresh_token: str) -> dict:
    presented = _presented_refresh(user_type=user_type, refresh_token=refresh_token)
    db = get_database()
    family_id = presented["fam"]
    account = repository.account_by_id(db, user_type=user_type, account_id=parse_object_id(presented["sub"]))
    if account is None:
        raise InvalidToken()
    family = repository.family_get(db, family_id=family_id)
    if family is None or family["revoked"]:
        raise InvalidToken()
    now = _now()
    if family["current_jti"] == presented["jti"]:
        access, refresh = issue_pair(account=account, family_id=family_id)
        if repository.family_rotate(
            db,
            family_id=family_id,
            presented_jti=presented["jti"],
            new_jti=refresh["jti"],
            now=now,
            expires_at=datetime.fromtimestamp(refresh["exp"], UTC),
        ):
            return pair_body(access, refresh)
        # Another request spent this token a moment ago: a client's concurrent refresh.
        raise _just_rotated()
    rotated_at = family.get("rotated_at")
    if (
        family.get("previous_jti") == presented["jti"]
        and rotated_at is not None
        and (now - rotated_at).total_seconds() <= settings.REFRESH_REUSE_GRACE_S
    ):
        raise _just_rotated()
    repository.family_revoke(db, family_id=family_id, reason="reuse", now=now)
    raise TokenReused()


def _just_rotated() -> InvalidToken:
    # Refused without revoking the family, so two tabs refreshing at once do not sign the user out.
    return InvalidToken("This refresh token was just rotated; use the newest one.", code="token_rotated")


def token_families_prune(*, now: datetime | None = None) -> int:
    """Retention: deletes the token families that expired before yesterday (a family expires with
    its newest refresh token), looking back TOKEN_RETENTION_LOOKBACK_DAYS days."""
    today = (now or _now()).date()
    days = [
        repository.expiry_day(datetime.combine(today - timedelta(days=back), datetime.min.time()))
        for back in range(2, settings.TOKEN_RETENTION_LOOKBACK_DAYS + 2)
    ]
    return repository.families_delete_expired(get_database(), days=days)


def session_logout(*, user_type: str, refresh_token: str) -> None:
    presented = _presented_refresh(user_type=user_type, refresh_token=refresh_token)
    repository.family_revoke(get_database(), family_id=presented["fam"], reason="logout", now=_now())


def account_public(*, user_type: str, account_id: str) -> dict:
    oid = parse_object_id(account_id)
    account = oid and repository.account_by_id(get_database(), user_type=user_type, account_id=oid)
    if not account:
        raise NotFound("Account not found.")
    return account


def _restaurant_account(account_id: str) -> dict:
    return account_public(user_type="restaurant", account_id=account_id)


def mfa_setup(*, account_id: str) -> dict:
    account = _restaurant_account(account_id)
    secret = mfa.new_secret()
    if not repository.mfa_set_pending_secret(get_database(), account_id=account["_id"], secret=secret):
        raise MfaStateConflict("Two-factor sign-in is already on.")
    uri = mfa.provisioning_uri(secret=secret, account_name=account["email"], issuer=settings.MFA_ISSUER_NAME)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": mfa.qr_svg(uri)}


def mfa_confirm(*, account_id: str, code: str) -> dict:
    account = _restaurant_account(account_id)
    state = account.get("mfa", {})
    if state.get("enabled"):
        raise MfaStateConflict("Two-factor sign-in is already on.")
    secret = state.get("pending_secret")
    if not secret:
        raise MfaStateConflict("Call /restaurants/mfa/setup first.")
    throttling.mfa_check(account_id=account_id)
    step = mfa.matching_step(secret=secret, code=code)
    if step is None:
        throttling.mfa_failed(account_id=account_id)
        raise InvalidMfaCode()
    codes = mfa.new_recovery_codes()
    enabled = repository.mfa_enable(
        get_database(),
        account_id=account["_id"],
        secret=secret,
        step=step,
        recovery_hashes=[mfa.recovery_code_hash(c) for c in codes],
    )
    if not enabled:
        raise MfaStateConflict("Two-factor setup changed meanwhile; start again.")
    return {"recovery_codes": codes}


def mfa_login(*, user_type: str, mfa_token: str, code: str) -> dict:
    """The second step of a sign-in with a code, for the kind of account the route is for."""
    try:
        token = MfaToken(mfa_token)
    except TokenError as exc:
        raise InvalidToken() from exc
    if user_type not in MFA_KINDS or token["user_type"] != user_type:
        raise InvalidToken()
    account_id = token["sub"]
    account = account_public(user_type=user_type, account_id=account_id)
    throttling.mfa_check(account_id=account_id)
    db = get_database()
    secret = account.get("mfa", {}).get("secret")
    accepted = False
    if secret and (step := mfa.matching_step(secret=secret, code=code)) is not None:
        accepted = repository.mfa_consume_step(db, account=account, step=step)
    elif mfa.looks_like_recovery_code(code):
        accepted = repository.mfa_consume_recovery_code(db, account=account, code_hash=mfa.recovery_code_hash(code))
    if not accepted:
        throttling.mfa_failed(account_id=account_id)
        raise InvalidMfaCode()
    return _start_session(account)


def operator_enrol(*, email: str, password: str, name: str) -> dict:
    """Creates an operator (never self-registered: `manage.py create_operator`), or resets an
    existing one's password; either way enrols a new TOTP secret and signs the account out
    everywhere. Returns `{account, created, otpauth_uri}`: the URI (its `secret=` is the TOTP secret)
    is shown once and never stored anywhere else."""
    email = normalize_email(email)
    name = name.strip() or email.split("@")[0]
    _check_password_strength(password, email=email, name=name)
    secret = mfa.new_secret()
    db = get_database()
    now = _now()
    # Codes of the current step and later are accepted: the first sign-in can follow at once.
    account, created = repository.operator_enrol(
        db,
        email=email,
        password_hash=make_password(password),
        name=name,
        secret=secret,
        step=mfa.current_step() - mfa.DRIFT_STEPS - 1,
        now=now,
    )
    if not created:
        repository.families_revoke_of_account(db, account_id=account["_id"], reason="operator_reset", now=now)
    uri = mfa.provisioning_uri(secret=secret, account_name=email, issuer=settings.MFA_ISSUER_NAME)
    return {"account": account, "created": created, "otpauth_uri": uri}


def service_token_issue(*, client_id: str, client_secret: str) -> dict:
    expected = settings.SERVICE_CLIENTS.get(client_id)
    # compare_digest against a dummy keeps unknown ids as slow as wrong secrets.
    if not hmac.compare_digest((expected or "\0invalid").encode(), client_secret.encode()) or expected is None:
        raise InvalidServiceCredentials()
    token = issue_service_token(client_id=client_id)
    return {"access": str(token), "token_type": "Bearer", "expires_in": int(token.lifetime.total_seconds())}
