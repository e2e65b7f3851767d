"""Domain errors of the auth service, each with a stable code."""

from common.errors import ApiError, Conflict, Unauthorized


class EmailAlreadyRegistered(Conflict, code="email_taken", message="An account with this email already exists."): ...


# The same answer for an unknown email and a wrong password: it must not reveal which.
class InvalidCredentials(Unauthorized, code="invalid_credentials", message="Email or password is incorrect."): ...


class InvalidToken(Unauthorized, code="token_invalid", message="The token is invalid or expired."): ...


class TokenReused(
    Unauthorized,
    code="token_reused",
    message="This refresh token was already used; all sessions from this login are signed out.",
): ...


class InvalidMfaCode(Unauthorized, code="mfa_code_invalid", message="The code is invalid or was already used."): ...


class MfaStateConflict(Conflict, code="mfa_state"): ...


class InvalidServiceCredentials(Unauthorized, code="invalid_client", message="Unknown client or wrong secret."): ...


class WeakPassword(ApiError, code="invalid"): ...
