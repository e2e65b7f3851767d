"""Settings of the auth service: identity, tokens, MFA, JWKS."""

from common.env import env_float, env_int, env_secret, env_str
from common.settings_base import *  # noqa: F403
from common.settings_base import INSTALLED_APPS, MIDDLEWARE, PRODUCTION, api_document

SERVICE_NAME = "auth"
ROOT_URLCONF = "auth_service.urls"
ASGI_APPLICATION = "auth_service.asgi.application"
INSTALLED_APPS = [*INSTALLED_APPS, "accounts"]
# This service serves the static files of the browsable API and Swagger UI for the whole platform
# (the gateway routes /static/ here).
MIDDLEWARE = [*MIDDLEWARE, "whitenoise.middleware.WhiteNoiseMiddleware"]

MONGO_DB_NAME = env_str("MONGO_DB_NAME", "auth")
BACKGROUND_LOOP_MODULES = ["accounts.background"]
# Retention of refresh-token families (accounts/background.py): a pass every this many seconds
# deletes those expired before yesterday, looking back this many days (0 switches the loop off).
TOKEN_RETENTION_S = env_float("TOKEN_RETENTION_S", 3600.0)
TOKEN_RETENTION_LOOKBACK_DAYS = env_int("TOKEN_RETENTION_LOOKBACK_DAYS", 60)
MONGO_INDEX_MODULES = ["accounts.repository"]

# Only this service holds the signing key. Local runs get a generated one from the tooling.
JWT_PRIVATE_KEY = env_secret("JWT_PRIVATE_KEY")
if PRODUCTION and not JWT_PRIVATE_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("JWT_PRIVATE_KEY (or JWT_PRIVATE_KEY_FILE) is required in production")

# Argon2id at OWASP's cost (accounts/hashers.py says why): an Argon2 hash made at another cost
# still verifies and is replaced at the next sign-in. PASSWORD_HASHER names another Django hasher.
PASSWORD_HASHERS = list(
    dict.fromkeys([env_str("PASSWORD_HASHER", "accounts.hashers.Argon2idHasher"), "accounts.hashers.Argon2idHasher"])
)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Clients allowed to obtain service tokens: "id:secret,id:secret" (a mounted secret in Kubernetes).
SERVICE_CLIENTS = dict(
    item.strip().split(":", 1) for item in (env_secret("SERVICE_CLIENTS") or "").split(",") if ":" in item
)

# Login abuse limits (see accounts.throttling).
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_ACCOUNT_WINDOW_S = env_int("LOGIN_ACCOUNT_WINDOW_S", 300)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 100)
LOGIN_IP_WINDOW_S = env_int("LOGIN_IP_WINDOW_S", 900)
MFA_FAILURES_PER_ACCOUNT = env_int("MFA_FAILURES_PER_ACCOUNT", 5)
MFA_WINDOW_S = env_int("MFA_WINDOW_S", 300)
# A client that refreshes twice at once (two tabs) presents the same token twice: within this
# window the second presentation is refused without revoking the family.
REFRESH_REUSE_GRACE_S = env_int("REFRESH_REUSE_GRACE_S", 10)
MFA_ISSUER_NAME = env_str("MFA_ISSUER_NAME", "Food Delivery")

SPECTACULAR_SETTINGS = api_document(
    "Auth service",
    "Accounts, tokens, MFA, JWKS.",
    # A plain view (it must answer before anything else is up); described here so it is documented.
    plain_views={
        "/.well-known/jwks.json": {
            "get": {
                "operationId": "jwks",
                "summary": "The public keys that verify the platform's tokens (JWKS, RFC 7517)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "A JSON Web Key Set",
                        "content": {"application/json": {"schema": {"type": "object", "required": ["keys"]}}},
                    }
                },
            }
        }
    },
)
