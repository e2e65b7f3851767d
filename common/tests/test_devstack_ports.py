"""The tooling that starts each test platform: its servers never share a port, and a server is
only taken as ready when the one that answers is the service that was started."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from common.testing.live import devstack


@pytest.fixture
def customer_service_stand_in():
    class AnswersAsCustomer(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"status": "ready", "service": "customer"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), AnswersAsCustomer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/readyz"
    server.shutdown()
    server.server_close()


def test_the_ports_of_one_platform_are_all_different():
    # Six ports chosen one by one, each released before the next, shared a port in 24 of 20,000
    # draws here: 3,000 draws catch that with a probability of about 97%.
    for _ in range(3000):
        ports = devstack().free_ports(6)
        assert len(set(ports)) == 6


def test_a_port_held_by_another_service_is_not_taken_for_the_one_started(customer_service_stand_in):
    assert devstack().ready_as(customer_service_stand_in, "customer")
    assert not devstack().ready_as(customer_service_stand_in, "gateway")


def test_nothing_listening_is_not_ready():
    (port,) = devstack().free_ports(1)
    assert not devstack().ready_as(f"http://127.0.0.1:{port}/readyz", "gateway")
