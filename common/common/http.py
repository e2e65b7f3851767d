"""Calls from one service to another: pooled sessions per upstream, explicit timeouts, retries
with backoff and jitter for idempotent methods only, a circuit breaker per upstream, and the
request id and caller's bearer token forwarded.

Failures become the contract's errors: a refused connection or open circuit is a 503 with
`Retry-After`, a read timeout a 504; the calling view lets them propagate.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from common.circuit_breaker import CircuitBreaker
from common.errors import (
    OVERLOADED_HEADER,
    ApiError,
    Conflict,
    Forbidden,
    GatewayTimeout,
    NotFound,
    ServiceUnavailable,
)
from common.request_id import HEADER as REQUEST_ID_HEADER
from common.request_id import current_request_id
from common.tracing import inject_context

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamInvalid(ServiceUnavailable, ValueError):
    """An answer that could not be read: a ValueError to code that reads answers defensively, the
    contract's 503 naming the service to everyone else."""

    code = "upstream_invalid"


class UpstreamResponse(requests.Response):
    """A service's answer. Another service is trusted no more than a client: an answer that is not
    JSON where JSON was expected is that service failing (503 naming it), never a crash here."""

    service = ""

    def json(self, **kwargs):
        try:
            return super().json(**kwargs)
        except ValueError as exc:
            logger.warning("upstream answered something that is not JSON", extra={"upstream": self.service})
            raise UpstreamInvalid(
                f"The {self.service} service gave an answer that could not be read.", details={"service": self.service}
            ) from exc


class _IdleExpiry:
    """A pooled connection idle longer than `idle_expiry_s` is closed instead of reused (urllib3
    keeps idle connections forever). A server closes a keep-alive connection after its own idle
    timeout; a request sent on it at that moment is lost in flight, and a POST cannot be retried
    (its fate is unknown). Expiring idle connections well before any server does closes that race."""

    idle_expiry_s: float  # set per client by _UpstreamAdapter

    def _get_conn(self, timeout=None):
        conn = super()._get_conn(timeout)
        idle_since = getattr(conn, "idle_since", None)
        if idle_since is not None and time.monotonic() - idle_since > self.idle_expiry_s:
            conn.close()  # urllib3 opens it again on the next request, as for a dropped one
        return conn

    def _put_conn(self, conn) -> None:
        if conn is not None:
            conn.idle_since = time.monotonic()
        super()._put_conn(conn)


class _UpstreamAdapter(HTTPAdapter):
    def __init__(self, service: str, *, idle_expiry_s: float, **kwargs):
        self.service = service
        self.pool_classes = {
            scheme: type(f"Expiring{base.__name__}", (_IdleExpiry, base), {"idle_expiry_s": idle_expiry_s})
            for scheme, base in (("http", HTTPConnectionPool), ("https", HTTPSConnectionPool))
        }
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self.pool_classes

    def build_response(self, req, resp):
        response = super().build_response(req, resp)
        response.__class__ = UpstreamResponse
        response.service = self.service
        return response


class ServiceClient:
    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        retries: int,
        breaker: CircuitBreaker,
        pool_size: int = 20,
        idle_expiry_s: float = 30.0,
    ):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.breaker = breaker
        self.session = requests.Session()
        # Calls inside the platform never go through the environment's proxies or .netrc (nor
        # pay for looking them up on every request).
        self.session.trust_env = False
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=0.1,
            backoff_jitter=0.1,
            # urllib3 only retries these; a POST is never sent twice by this layer.
            allowed_methods=IDEMPOTENT_METHODS,
            status_forcelist=(502, 503, 504),
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        adapter = _UpstreamAdapter(
            name, idle_expiry_s=idle_expiry_s, pool_connections=1, pool_maxsize=pool_size, max_retries=retry
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        bearer: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        if not self.breaker.allow():
            raise ServiceUnavailable(
                f"The {self.name} service is unavailable.",
                code="upstream_unavailable",
                details={"service": self.name, "circuit": "open"},
                retry_after=max(1, round(self.breaker.retry_after_s())),
            )
        sent_headers = {"Accept": "application/json", **(headers or {})}
        if (request_id := current_request_id.get()) is not None:
            sent_headers[REQUEST_ID_HEADER] = request_id
        if bearer:
            sent_headers["Authorization"] = f"Bearer {bearer}"
        inject_context(sent_headers)
        started = time.monotonic()
        try:
            response = self.session.request(
                method, self.base_url + path, json=json, params=params, headers=sent_headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            self.breaker.record_failure()
            logger.warning("upstream timeout", extra={"upstream": self.name, "path": path})
            raise GatewayTimeout(
                f"The {self.name} service did not answer in time.", details={"service": self.name}
            ) from exc
        except requests.RequestException as exc:
            self.breaker.record_failure()
            logger.warning("upstream unreachable", extra={"upstream": self.name, "path": path, "error": str(exc)})
            raise ServiceUnavailable(
                f"The {self.name} service is unavailable.", code="upstream_unavailable", details={"service": self.name}
            ) from exc
        shed = response.headers.get(OVERLOADED_HEADER) == "true"  # up, and protecting itself
        if response.status_code >= 500 and not shed and not self._passed_on(response):
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        logger.debug(
            "upstream call",
            extra={
                "upstream": self.name,
                "path": path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response

    def _passed_on(self, response: requests.Response) -> bool:
        """Whether a 5xx names another service as the one that failed (`raise_for_upstream` and this
        client put the failing service in `details.service`): the upstream itself worked, so its
        circuit must not open because something further away is down."""
        try:
            failed = response.json()["error"]["details"]["service"]
        except (ValueError, KeyError, TypeError):
            return False
        return isinstance(failed, str) and failed != self.name


@functools.cache
def service_client(name: str) -> ServiceClient:
    """The process-wide client for one upstream (by its name in settings.SERVICE_URLS)."""
    return ServiceClient(
        name,
        settings.SERVICE_URLS[name],
        connect_timeout_s=settings.HTTP_CONNECT_TIMEOUT_S,
        read_timeout_s=settings.HTTP_READ_TIMEOUT_S,
        retries=settings.HTTP_RETRIES,
        idle_expiry_s=settings.HTTP_KEEPALIVE_EXPIRY_S,
        breaker=CircuitBreaker(
            failure_threshold=settings.BREAKER_FAILURE_THRESHOLD,
            reset_timeout_s=settings.BREAKER_RESET_TIMEOUT_S,
            name=name,
        ),
    )


class _ServiceTokenCache:
    """This service's own token for /internal calls, renewed shortly before it expires."""

    def __init__(self):
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def get(self) -> str:
        with self._lock:
            if self._token is None or time.time() > self._expires_at - 30:
                response = service_client("auth").request(
                    "POST",
                    "/internal/service-token",
                    json={"client_id": settings.SERVICE_CLIENT_ID, "client_secret": settings.SERVICE_CLIENT_SECRET},
                )
                if response.status_code != 200:
                    raise ServiceUnavailable(
                        "Could not obtain a service token.", details={"status": response.status_code}
                    )
                body = response.json()
                self._token = body["access"]
                self._expires_at = time.time() + int(body.get("expires_in", 60))
            return self._token

    def clear(self) -> None:
        with self._lock:
            self._token = None


service_token = _ServiceTokenCache()


def raise_for_upstream(response: requests.Response, service: str) -> None:
    """Re-raises another service's contract error here, keeping its status and code (a 409 from
    the order service stays a 409 for the client); 5xx becomes 503."""
    if response.status_code < 400:
        return
    try:
        error = response.json()["error"]
        message, code, details = error["message"], error["code"], error.get("details") or {}
    except (ValueError, KeyError, TypeError):
        message, code, details = f"The {service} service refused the request.", "upstream_error", {}
    if response.status_code >= 500:
        raise ServiceUnavailable(f"The {service} service failed.", details={"service": service})
    error_class = _ERRORS_BY_STATUS.get(response.status_code, ApiError)
    raised = error_class(message, code=code, details=details)
    raised.status_code = response.status_code
    raise raised


_ERRORS_BY_STATUS = {404: NotFound, 409: Conflict, 403: Forbidden}


def internal_answer(service: str, method: str, path: str, **kwargs):
    """The JSON answer of another service's /internal route; its refusal raised here as
    `raise_for_upstream` does."""
    response = internal_request(service, method, path, **kwargs)
    raise_for_upstream(response, service)
    return response.json()


def internal_request(service: str, method: str, path: str, **kwargs) -> requests.Response:
    """A call to another service's /internal route with this service's own service token."""
    response = service_client(service).request(method, path, bearer=service_token.get(), **kwargs)
    if response.status_code == 401:
        service_token.clear()  # expired or the key rotated: the next call fetches a new one
    return response
