import asyncio
import http.server
import json
import sys
import threading
import time

import pytest


class EchoUpstream(http.server.ThreadingHTTPServer):
    """A real HTTP upstream that answers with what it received (or streams, or stalls)."""

    daemon_threads = True

    def __init__(self):
        self.received: list[dict] = []
        self.ports: list[int] = []  # the client's port of each request: one per connection used
        self.delay_s = 0.0
        self.linger_s = 0.0  # how long a forced answer's connection stays open after it, even when closing
        self.forced: tuple[int, dict] | None = None  # (status, headers) to answer every request with
        self.idle_timeout_s: float | None = None  # a connection idle this long is closed by the echo
        super().__init__(("127.0.0.1", 0), _EchoHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request, client_address):
        """A client that hangs up mid-stream (tests close streams on purpose) is no error of the echo's."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _EchoHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        self.timeout = self.server.idle_timeout_s  # the socket's timeout while it waits for a request
        super().setup()

    def _answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body.decode()}
        self.server.received.append(seen)
        self.server.ports.append(self.client_address[1])
        time.sleep(self.server.delay_s)
        if self.server.forced is not None:
            status, headers = self.server.forced
            self.send_response(status)
            for name, value in {**headers, "Content-Length": "0"}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.flush()
            time.sleep(self.server.linger_s)
            return None
        if self.path.endswith("/events"):
            return self._stream()
        if self.path.startswith("/fail"):
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        payload = json.dumps(seen).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Upstream", "echo")
        self.send_header("Keep-Alive", "timeout=5")
        self.end_headers()
        self.wfile.write(payload)
        return None

    def _stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for n in range(3):
            chunk = f"data: {n}\n\n".encode()
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
            time.sleep(0.3)
        self.wfile.write(b"0\r\n\r\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def do_HEAD(self):
        """A GET's head without its body: Content-Length says how long the body would be."""
        self.server.ports.append(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1234")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def echo(settings, redis_client):
    """Every upstream of the gateway points at one echo server for the test."""
    from edge.proxy import breaker

    server = EchoUpstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.UPSTREAMS = dict.fromkeys(settings.UPSTREAMS, server.url)
    breaker.cache_clear()
    yield server
    breaker.cache_clear()
    server.shutdown()
    server.server_close()


@pytest.fixture
def run_async():
    """Runs one coroutine on a fresh loop (upstream sessions belong to the loop that made them)."""
    from edge import ratelimit
    from edge.proxy import close_upstream_sessions

    async def _with_cleanup(coroutine):
        try:
            return await coroutine
        finally:
            await close_upstream_sessions()

    def _run(coroutine):
        ratelimit._client.cache_clear()
        try:
            return asyncio.run(_with_cleanup(coroutine))
        finally:
            ratelimit._client.cache_clear()

    return _run


@pytest.fixture(scope="session")
def map_services():
    """The tile server and geocoder the live platform's pages are pointed at (pages/tests/map_services.py)."""
    from pages.tests.map_services import MapServices

    server = MapServices().start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def live_platform_env(map_services):
    return {
        "MAP_TILES_URL": f"{map_services.url}/tiles/{{z}}/{{x}}/{{y}}.png",
        "MAP_TILES_ATTRIBUTION": "Test tiles",
        "GEOCODER_URL": map_services.url,
    }


@pytest.fixture
def city(actors, no_orders_waiting):
    """A restaurant with a menu, its chef, and a customer with an address, on the live platform,
    with nothing earlier tests left waiting for a courier."""
    _, chef = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(chef)
    _, customer, address_id = actors.customer_with_address()
    return {"world": world, "chef": chef, "customer": customer, "address_id": address_id}
