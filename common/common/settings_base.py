"""Settings every service shares; each service's settings.py star-imports this and adds its own.

Everything is read from the environment here, once. Defaults are for a laptop; with
`DJANGO_DEBUG=false` and `PRODUCTION=true` a missing secret stops the process at start-up.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

from common.env import env_bool, env_float, env_int, env_list, env_secret, env_str
from common.garbage_collection import DEFAULT_THRESHOLDS as DEFAULT_GC_THRESHOLDS
from common.garbage_collection import thresholds as gc_thresholds

PRODUCTION = env_bool("PRODUCTION", False)
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or (
    env_str("DJANGO_SECRET_KEY") if PRODUCTION else "insecure-local-only-secret-key-change-me-please"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])

INSTALLED_APPS = [
    # contrib.auth and contenttypes are only imported for their hashers, validators and the
    # models simplejwt imports; nothing here uses a SQL database.
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "common",
]

# Every middleware here is sync- and async-capable: under ASGI a request then crosses into a
# thread once (for the sync DRF view), not once per middleware. The auth service adds WhiteNoise
# (sync-only) for the browsable API's static files, which the gateway serves from there.
MIDDLEWARE = [
    "common.request_id.RequestIdMiddleware",
    # Before any work: a process at its limit answers a fast, jittered 503 (common/overload.py).
    "common.overload.InflightLimitMiddleware",
    # Django's own response hardening (see "Security headers" below), then the CSP.
    "common.security.SecurityHeadersMiddleware",
    "common.metrics.RequestMetricsMiddleware",
    "common.body_limit.BodySizeLimitMiddleware",
    "common.csrf.CsrfCookieMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' own: the platform's overrides of DRF's templates (rest_framework/api.html).
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# No SQL database: MongoDB is reached through pymongo (see common.mongo).
DATABASES: dict = {}

APPEND_SLASH = False
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Bodies above this answer 413 before any parsing (see common.body_limit); JSON nested deeper than
# MAX_JSON_DEPTH is a 400 (see common.parsers: the deepest legitimate body nests 3 levels).
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 256 * 1024)
MAX_JSON_DEPTH = env_int("MAX_JSON_DEPTH", 32)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

# --- Storage -------------------------------------------------------------------------------
MONGO_URL = env_str("MONGO_URL", "mongodb://127.0.0.1:27017/")
MONGO_TIMEOUT_MS = env_int("MONGO_TIMEOUT_MS", 3000)
MONGO_MAX_POOL_SIZE = env_int("MONGO_MAX_POOL_SIZE", 50)
# Each service sets MONGO_DB_NAME to its own database; MONGO_DB_PREFIX lets one server hold
# several platforms (tests, previews).
MONGO_DB_PREFIX = env_str("MONGO_DB_PREFIX", "")
MONGO_INDEX_MODULES: list[str] = []

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "fd:")
REDIS_TIMEOUT_S = env_float("REDIS_TIMEOUT_S", 1.0)
# How long a delivery address the customer service published for placement can be read (common/contracts/customer_addresses.py).
ADDRESS_BOOK_TTL_S = env_int("ADDRESS_BOOK_TTL_S", 600)
# How long a restaurant's terms the restaurant service published for placement can be read (common/contracts/restaurant_terms.py).
PRICE_LIST_TTL_S = env_int("PRICE_LIST_TTL_S", 60)


def redis_caches(url: str, timeout_s: float) -> dict:
    """django-redis holds the process's Redis connections. `default` is Django's cache (JSON
    values, never pickles). `redis` is the raw client the platform's own Redis code takes from
    `common.redis_client.get_redis()`: GEO sets, locks, rate limits, read models; its replies are
    `str`, so it is never used as a cache itself. Each alias keeps one connection pool per process."""
    common_options = {
        "SOCKET_TIMEOUT": timeout_s,
        "SOCKET_CONNECT_TIMEOUT": timeout_s,
        "CONNECTION_FACTORY": "common.redis_client.PoolPerOptionsConnectionFactory",
    }
    pool = {"health_check_interval": 30}
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": REDIS_KEY_PREFIX + "cache",
            "OPTIONS": {
                **common_options,
                "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
                "CONNECTION_POOL_KWARGS": pool,
            },
        },
        "redis": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {**common_options, "CONNECTION_POOL_KWARGS": {**pool, "decode_responses": True}},
        },
    }


CACHES = redis_caches(REDIS_URL, REDIS_TIMEOUT_S)
# Dependencies whose loss takes the process out of rotation (`/readyz` 503). The others are still
# checked and reported: a service that carries on without Redis need not leave the load balancer
# when Redis blips (the Helm chart lists only mongodb for the backends).
READINESS_REQUIRES = env_list("READINESS_REQUIRES", ["mongodb", "redis"])

# --- Live streams (common/streams/) --------------------------------------------------------
# Heartbeat comment and MongoDB re-read of every open stream; polling interval while Redis is away.
SSE_HEARTBEAT_S = env_float("SSE_HEARTBEAT_S", 15.0)
SSE_POLL_INTERVAL_S = env_float("SSE_POLL_INTERVAL_S", 1.0)
# The history a client can resume from (`Last-Event-ID`), per topic: at most this many events and
# this old; a topic without events for that long is forgotten (clients then get a fresh snapshot).
SSE_HISTORY_MAX_LEN = env_int("SSE_HISTORY_MAX_LEN", 1000)
SSE_HISTORY_MAX_AGE_S = env_float("SSE_HISTORY_MAX_AGE_S", 3600.0)
# `retry:` sent to clients: between this and twice this, at random, so reconnects spread out.
SSE_RETRY_MS = env_int("SSE_RETRY_MS", 2000)
# Events a stream may have waiting before it catches up from the history instead.
SSE_QUEUE_SIZE = env_int("SSE_QUEUE_SIZE", 200)
# Subjects per MongoDB query when the heartbeat re-reads every open stream of a process.
SSE_REREAD_CHUNK = env_int("SSE_REREAD_CHUNK", 1000)
# Live streams one user may hold at once, counted across replicas (429 beyond); streams one process
# holds, and opens at once (a fast 503 with a Retry-After of 1..SSE_SHED_RETRY_MAX_S s beyond).
SSE_MAX_STREAMS_PER_USER = env_int("SSE_MAX_STREAMS_PER_USER", 20)
SSE_MAX_STREAMS_PER_PROCESS = env_int("SSE_MAX_STREAMS_PER_PROCESS", 12000)
SSE_MAX_OPENING_PER_PROCESS = env_int("SSE_MAX_OPENING_PER_PROCESS", 200)
SSE_SHED_RETRY_MAX_S = env_int("SSE_SHED_RETRY_MAX_S", 5)
# Requests one process works on at once; more are answered 503 at once (common/overload.py).
MAX_INFLIGHT_REQUESTS = env_int("MAX_INFLIGHT_REQUESTS", 256)
# The routes a service answers before Django's handler, by their own views (common/fast_paths/):
# (method, URL name) pairs in each service's settings; FAST_PATHS=false leaves every request to Django.
FAST_ROUTES: list[tuple[str, str]] = []
FAST_PATHS = env_bool("FAST_PATHS", True)

# --- Background loops (common/background.py) ---------------------------------------------
# Modules that declare the service's loops (`LOOPS`); each loop's period is a setting of its own.
BACKGROUND_LOOP_MODULES: list[str] = []

# --- The garbage collector (common/garbage_collection.py) -------------------------------------
# Young, middle and old generation thresholds once a process serves (CPython's default: 700,10,10).
GC_THRESHOLDS = gc_thresholds(env_list("GC_THRESHOLDS", [str(n) for n in DEFAULT_GC_THRESHOLDS]))

# --- The delivery promise (ARCHITECTURE 4.5) -------------------------------------------------------
# The speed assumed for a ride when the courier's vehicle is not known (browsing, quotes, placement);
# the delivery service's per-vehicle table (COURIER_SPEEDS_KMH) falls back to it too.
COURIER_DEFAULT_SPEED_KMH = env_float("COURIER_DEFAULT_SPEED_KMH", 15.0)
# A restaurant's usual preparation time unless it sets its own (prep_time_min).
DEFAULT_PREP_TIME_MIN = env_int("DEFAULT_PREP_TIME_MIN", 15)

# --- Other services ------------------------------------------------------------------------
SERVICE_URLS = {
    "auth": env_str("AUTH_SERVICE_URL", "http://127.0.0.1:8001"),
    "customer": env_str("CUSTOMER_SERVICE_URL", "http://127.0.0.1:8002"),
    "restaurant": env_str("RESTAURANT_SERVICE_URL", "http://127.0.0.1:8003"),
    "order": env_str("ORDER_SERVICE_URL", "http://127.0.0.1:8004"),
    "delivery": env_str("DELIVERY_SERVICE_URL", "http://127.0.0.1:8005"),
}
HTTP_CONNECT_TIMEOUT_S = env_float("HTTP_CONNECT_TIMEOUT_S", 1.0)
HTTP_READ_TIMEOUT_S = env_float("HTTP_READ_TIMEOUT_S", 5.0)
HTTP_RETRIES = env_int("HTTP_RETRIES", 2)
# A pooled connection idle this long is not reused: shorter than every server's keep-alive
# (uvicorn runs with 75 s here and in the images), so no request is sent as a server closes.
HTTP_KEEPALIVE_EXPIRY_S = env_float("HTTP_KEEPALIVE_EXPIRY_S", 30.0)
BREAKER_FAILURE_THRESHOLD = env_int("BREAKER_FAILURE_THRESHOLD", 5)
BREAKER_RESET_TIMEOUT_S = env_float("BREAKER_RESET_TIMEOUT_S", 10.0)

# This service's own credentials for /internal calls (a service token from the auth service).
SERVICE_CLIENT_ID = env_str("SERVICE_CLIENT_ID", "")
SERVICE_CLIENT_SECRET = env_secret("SERVICE_CLIENT_SECRET") or ""

# --- Tokens (ARCHITECTURE 4.1) ---------------------------------------------------------------
JWT_ALGORITHM = "RS256"
JWT_ISSUER = env_str("JWT_ISSUER", "food-delivery-auth")
JWT_AUDIENCE = env_str("JWT_AUDIENCE", "food-delivery")
JWT_PUBLIC_KEY = env_secret("JWT_PUBLIC_KEY")
JWT_JWKS_URL = env_str("JWT_JWKS_URL", SERVICE_URLS["auth"] + "/.well-known/jwks.json")
JWT_LEEWAY_S = env_int("JWT_LEEWAY_S", 5)

SIMPLE_JWT = {
    "ALGORITHM": JWT_ALGORITHM,
    "ISSUER": JWT_ISSUER,
    "AUDIENCE": JWT_AUDIENCE,
    "USER_ID_CLAIM": "sub",
    "TOKEN_TYPE_CLAIM": "token_type",
    "JTI_CLAIM": "jti",
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_ACCESS_TTL_S", 600)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_REFRESH_TTL_S", 7 * 24 * 3600)),
    "LEEWAY": JWT_LEEWAY_S,
    "SIGNING_KEY": None,
    "VERIFYING_KEY": JWT_PUBLIC_KEY or "",
}

# --- DRF -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["common.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON for clients; the two form encodings for the browsable API's HTML forms.
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.negotiation.CachedContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    },
    "SECURITY": [{"bearerAuth": []}],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.openapi.add_error_responses",
    ],
}


def api_document(title: str, description: str, *, plain_views: dict | None = None) -> dict:
    """A service's SPECTACULAR_SETTINGS: the platform's, with the service's title and description,
    and its plain Django views (streams, JWKS), which drf-spectacular cannot see, described by hand."""
    return {**SPECTACULAR_SETTINGS, "TITLE": title, "DESCRIPTION": description, "APPEND_PATHS": plain_views or {}}


# --- Tracing (optional) ---------------------------------------------------------------------
# OTEL_EXPORTER_OTLP_ENDPOINT and the SDK's other OTEL_* variables configure the exporter.
OTEL_ENABLED = env_bool("OTEL_ENABLED", False)
if OTEL_ENABLED:
    MIDDLEWARE.insert(1, "common.tracing.TracingMiddleware")

# --- Logging -------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.request_id.RequestIdLogFilter"}},
    "formatters": {"json": {"()": "common.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "common.logging.ConsoleHandler", "formatter": "json", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Request logging is ours (one line per request); Django's duplicates it.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}

PROMETHEUS_METRIC_NAMESPACE = ""

# --- Security headers (Django's SecurityMiddleware and clickjacking middleware; django-csp) -----
# Every response: X-Content-Type-Options: nosniff, Referrer-Policy, Cross-Origin-Opener-Policy;
# X-Frame-Options: DENY and a CSP whose frame-ancestors is 'none', so no site can frame a page
# (the sign-in form included). HSTS only over HTTPS, and only where it is switched on
# (SECURE_HSTS_SECONDS; the Helm chart's production values do): a browser remembers it.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
# The platform's pages (the browsable API, Swagger UI, the live pages) load only their own assets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # DRF's pages and Swagger UI style with inline attributes and blocks; scripts stay strict.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Services sit behind the gateway, which sets these headers; page links then name the public host.
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# How many proxies in front of this process append to X-Forwarded-For (the gateway: 1).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 1)
# One line per upstream call is the access log's job, not the HTTP client's.
LOGGING["loggers"]["aiohttp.access"] = {"level": "WARNING"}

# WhiteNoise serves files through a sync iterator; under ASGI Django warns on every static file.
# The files are small and few (the browsable API's CSS), so the warning is silenced, not ignored.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")


def service_settings(name: str, *, app: str, database: str) -> dict:
    """What names a service whose package is `<name>_service` and whose one app `app` keeps its
    documents in MongoDB (the database `database` unless MONGO_DB_NAME says otherwise) and declares
    their indexes in `<app>.repository`: `globals().update(service_settings(...))` in its settings."""
    return {
        "SERVICE_NAME": name,
        "ROOT_URLCONF": f"{name}_service.urls",
        "ASGI_APPLICATION": f"{name}_service.asgi.application",
        "INSTALLED_APPS": [*INSTALLED_APPS, app],
        "MONGO_DB_NAME": env_str("MONGO_DB_NAME", database),
        "MONGO_INDEX_MODULES": [f"{app}.repository"],
    }
