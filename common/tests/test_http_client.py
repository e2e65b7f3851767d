"""The service HTTP client against a real HTTP server on loopback."""

import http.server
import json
import threading
import time

import pytest

from common.circuit_breaker import CircuitBreaker
from common.errors import GatewayTimeout, ServiceUnavailable
from common.http import ServiceClient
from common.request_id import current_request_id


class Upstream(http.server.ThreadingHTTPServer):
    """Answers from a script of (status, delay) per request and records what it received."""

    def __init__(self, handler=None):
        self.script: list[tuple] = []  # (status, delay) or (status, delay, body)
        self.received: list[dict] = []
        super().__init__(("127.0.0.1", 0), handler or _Handler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.received.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "port": self.client_address[1]}
        )
        status, delay, *body = self.server.script.pop(0) if self.server.script else (200, 0)
        time.sleep(delay)
        body = (
            body[0] if body and isinstance(body[0], bytes) else json.dumps(body[0] if body else {"ok": True}).encode()
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


class _KeepAliveHandler(_Handler):
    protocol_version = "HTTP/1.1"  # keeps the connection open between requests


def _serve(handler=None):
    server = Upstream(handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def upstream():
    server = _serve()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def keep_alive_upstream():
    server = _serve(_KeepAliveHandler)
    yield server
    server.shutdown()
    server.server_close()


def _client(url, *, retries=2, read_timeout=2.0, threshold=3, idle_expiry_s=30.0):
    return ServiceClient(
        "menu",
        url,
        connect_timeout_s=0.5,
        read_timeout_s=read_timeout,
        retries=retries,
        breaker=CircuitBreaker(failure_threshold=threshold, reset_timeout_s=30),
        idle_expiry_s=idle_expiry_s,
    )


def test_get_is_retried_on_503_then_succeeds(upstream):
    upstream.script = [(503, 0), (503, 0), (200, 0)]

    response = _client(upstream.url).request("GET", "/items")

    assert response.status_code == 200
    assert len(upstream.received) == 3


def test_post_is_never_retried(upstream):
    upstream.script = [(503, 0), (200, 0)]

    response = _client(upstream.url).request("POST", "/orders", json={"a": 1})

    assert response.status_code == 503
    assert len(upstream.received) == 1


def test_request_id_and_bearer_are_forwarded(upstream):
    token = current_request_id.set("req-42")
    try:
        _client(upstream.url).request("GET", "/x", bearer="tok")
    finally:
        current_request_id.reset(token)

    headers = upstream.received[0]["headers"]
    assert headers["X-Request-ID"] == "req-42"
    assert headers["Authorization"] == "Bearer tok"


def test_a_slow_upstream_is_a_504_after_the_read_timeout(upstream):
    upstream.script = [(200, 1.0)]
    started = time.monotonic()

    with pytest.raises(GatewayTimeout) as caught:
        _client(upstream.url, retries=0, read_timeout=0.2).request("POST", "/slow")

    assert time.monotonic() - started < 0.9
    assert caught.value.status_code == 504


def test_a_down_upstream_is_a_503_and_opens_the_circuit():
    client = _client("http://127.0.0.1:9", retries=0, threshold=2)
    for _ in range(2):
        with pytest.raises(ServiceUnavailable):
            client.request("GET", "/x")

    with pytest.raises(ServiceUnavailable) as caught:
        client.request("GET", "/x")

    assert caught.value.details["circuit"] == "open"
    assert int(caught.value.headers["Retry-After"]) >= 1


def _passed_on(service: str) -> dict:
    return {"error": {"code": "upstream_unavailable", "message": "x", "details": {"service": service}}}


def test_errors_passed_on_from_further_away_do_not_open_the_circuit(upstream):
    """The menu service answering 503 because *its* upstream is down is not the menu service failing."""
    upstream.script = [(503, 0, _passed_on("restaurant"))] * 4 + [(200, 0)]
    client = _client(upstream.url, retries=0, threshold=2)

    statuses = [client.request("POST", "/x").status_code for _ in range(5)]

    assert statuses == [503, 503, 503, 503, 200]
    assert client.breaker.state == "closed"


def test_the_upstreams_own_5xx_opens_the_circuit(upstream):
    upstream.script = [(503, 0, _passed_on("menu")), (500, 0, {"error": {"code": "internal"}})]
    client = _client(upstream.url, retries=0, threshold=2)

    client.request("POST", "/x")
    client.request("POST", "/x")

    assert client.breaker.state == "open"


@pytest.mark.parametrize("garbage", [b"<html>502 Bad Gateway</html>", b"", b'{"truncated": '])
def test_an_answer_that_is_not_json_is_the_upstreams_503_not_a_crash(upstream, garbage):
    """Another service is trusted no more than a client (OWASP API10, unsafe consumption)."""
    upstream.script = [(200, 0, garbage)]

    response = _client(upstream.url).request("GET", "/menu")

    with pytest.raises(ServiceUnavailable) as raised:
        response.json()
    assert raised.value.code == "upstream_invalid"
    assert raised.value.details == {"service": "menu"}


def test_a_connection_in_use_is_kept_alive(keep_alive_upstream):
    client = _client(keep_alive_upstream.url, idle_expiry_s=5.0)

    for _ in range(3):
        client.request("POST", "/orders", json={})

    assert len({r["port"] for r in keep_alive_upstream.received}) == 1


def test_a_connection_idle_longer_than_the_expiry_is_not_reused(keep_alive_upstream):
    """A server closes idle connections on its own clock; a POST sent as it does is lost in flight
    and cannot be retried. So the client gives up idle connections well before any server does."""
    client = _client(keep_alive_upstream.url, idle_expiry_s=0.2)

    client.request("POST", "/orders", json={})
    time.sleep(0.3)
    client.request("POST", "/orders", json={})

    first, second = (r["port"] for r in keep_alive_upstream.received)
    assert first != second


def test_servers_keep_idle_connections_longer_than_clients_reuse_them():
    """Whoever closes an idle connection first must be the client (module docstring of common.http)."""
    import re

    from django.conf import settings

    from common.testing.live import ROOT, devstack

    listen_args = devstack().stack.LISTEN_ARGS
    tooling_keep_alive = float(listen_args[listen_args.index("--timeout-keep-alive") + 1])
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    images_keep_alive = float(re.search(r'--timeout-keep-alive "\$\{KEEP_ALIVE_S:-(\d+)\}"', entrypoint).group(1))
    load_balancer_idle_s = 60  # ingress-nginx's upstream keep-alive and a cloud load balancer's usual idle timeout

    assert tooling_keep_alive > settings.HTTP_KEEPALIVE_EXPIRY_S
    assert images_keep_alive > max(settings.HTTP_KEEPALIVE_EXPIRY_S, load_balancer_idle_s)
