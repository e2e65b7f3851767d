"""Settings of the gateway: the platform's only public entry point."""

from pathlib import Path

from common.env import env_bool, env_float, env_int, env_list, env_str
from common.settings_base import *  # noqa: F403
from common.settings_base import CONTENT_SECURITY_POLICY, INSTALLED_APPS, SERVICE_URLS
from pages.config import page_assets_policy

SERVICE_NAME = "gateway"
ROOT_URLCONF = "gateway_service.urls"
ASGI_APPLICATION = "gateway_service.asgi.application"
INSTALLED_APPS = [*INSTALLED_APPS, "corsheaders", "edge", "pages"]

# Every middleware here is async-capable, so a proxied request never hops to a thread.
MIDDLEWARE = [
    "common.request_id.RequestIdMiddleware",
    "common.overload.InflightLimitMiddleware",
    # Django's response hardening and the CSP, as on every service (common/settings_base.py).
    "common.security.SecurityHeadersMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "common.body_limit.BodySizeLimitMiddleware",
    # After the body limit (it may read a form body), before anything reads the request's headers.
    "edge.browser_sessions.BrowserSessionMiddleware",
]

# The gateway keeps no data of its own; Redis holds its rate-limit counters.
MONGO_DB_NAME = ""
MONGO_INDEX_MODULES: list[str] = []

UPSTREAMS = SERVICE_URLS
UPSTREAM_CONNECT_TIMEOUT_S = env_float("UPSTREAM_CONNECT_TIMEOUT_S", 1.0)
UPSTREAM_READ_TIMEOUT_S = env_float("UPSTREAM_READ_TIMEOUT_S", 15.0)
# Trials a half-open circuit lets through at once for an upstream's live streams (edge/proxy.py).
BREAKER_STREAM_TRIALS = env_int("BREAKER_STREAM_TRIALS", 20)
# An API client's call relayed before Django's handler (edge/fast_proxy.py); off: Django relays all.
FAST_PROXY = env_bool("FAST_PROXY", True)
# The gateway only waits on upstreams (a coroutine per request): it may hold many more at once.
MAX_INFLIGHT_REQUESTS = env_int("MAX_INFLIGHT_REQUESTS", 4000)

# The gateway is the edge: it trusts no forwarded header unless told a proxy (an ingress) sits
# in front of it.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
# Likewise the scheme: a client's own X-Forwarded-Proto says nothing about the connection (HTTPS
# decides Secure cookies, HSTS and the CSRF origin check), so it counts only behind that ingress.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_HOPS > 0 else None
# Behind an ingress: /readyz and /metrics answer only requests that did not come through a proxy
# (probes and Prometheus reach the pod directly), so the internet sees neither.
OPERATIONS_DIRECT_ONLY = env_bool("OPERATIONS_DIRECT_ONLY", False)

# Browser sign-in (edge/browser_sessions.py): how long a signed-in browser stays signed in, and the
# origins besides the gateway's own host allowed to send unsafe requests with its cookie.
BROWSER_SESSION_TTL_S = env_int("BROWSER_SESSION_TTL_S", 8 * 3600)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "edge.browser_sessions.csrf_failure"

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", ["http://localhost:3000", "http://127.0.0.1:3000"])
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "RateLimit", "RateLimit-Policy"]
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "idempotency-key", "x-request-id"]

RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
RATE_LIMIT_DEFAULT_PER_MINUTE = env_int("RATE_LIMIT_DEFAULT_PER_MINUTE", 1200)
RATE_LIMIT_AUTH_PER_MINUTE = env_int("RATE_LIMIT_AUTH_PER_MINUTE", 300)

# The pages for people (pages/). Their assets go through Django's staticfiles with content-hashed
# names: `manage.py collectstatic` writes them to STATIC_ROOT (the tooling and the image do), and the
# gateway serves them itself (pages/staticfiles.py).
STATIC_ROOT = env_str("STATIC_ROOT", str(Path(__file__).resolve().parents[1] / ".static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "pages.staticfiles.HashedStaticFilesStorage"},
}
STATICFILES_FINDERS = ["pages.staticfiles.PagesFinder"]
# Money in one currency (ISO 4217), shown in each person's own locale.
CURRENCY = env_str("CURRENCY", "EUR")
# Map tiles: none by default (a plain background: nothing is fetched from elsewhere). A tile server's
# URL template (`https://tile.example/{z}/{x}/{y}.png`) and the attribution its licence asks for.
MAP_TILES_URL = env_str("MAP_TILES_URL", "")
MAP_TILES_ATTRIBUTION = env_str("MAP_TILES_ATTRIBUTION", "")
# Looking addresses up by name: none by default; a Photon- or Nominatim-compatible server's base URL.
GEOCODER_URL = env_str("GEOCODER_URL", "")
GEOCODER_API = env_str("GEOCODER_API", "photon")
CONTENT_SECURITY_POLICY = page_assets_policy(
    CONTENT_SECURITY_POLICY, tiles_url=MAP_TILES_URL, geocoder_url=GEOCODER_URL, geocoder_api=GEOCODER_API
)

# Merged OpenAPI document of the services, rebuilt at most this often.
DOCS_CACHE_S = env_int("DOCS_CACHE_S", 60)

MIDDLEWARE = [*MIDDLEWARE, "edge.access_log.AccessLogMiddleware"]
if OTEL_ENABLED:  # noqa: F405 - from the shared settings
    MIDDLEWARE.insert(1, "common.tracing.TracingMiddleware")
