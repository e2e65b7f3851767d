"""OWASP API7:2023 Server Side Request Forgery: the platform never fetches a URL a user gave. Every
service-to-service address comes from settings; no field is ever dereferenced. Shown here by
planting URLs of a listener in every free-text field and header a client controls, exercising the
platform's reads and writes, and checking the listener was never called."""

import http.server
import threading

import pytest


class Listener(http.server.ThreadingHTTPServer):
    def __init__(self):
        self.hits: list[str] = []
        super().__init__(("127.0.0.1", 0), _Record)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Record(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    do_POST = do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    server = Listener()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_urls_given_by_users_are_stored_as_text_and_never_fetched(city, listener):
    url = f"{listener.url}/ssrf"
    owner, customer = city.owners[1], city.customers[1]
    rid = owner["restaurant"]["id"]
    headers = {"Referer": url, "Origin": url, "X-Forwarded-Host": listener.url.split("//")[1], "Link": f"<{url}>"}

    changed = city.call(
        "PATCH",
        f"/restaurants/{rid}",
        {**owner["headers"], **headers},
        json={"description": url, "address": {**city.address, "line1": url}},
    )
    city.call(
        "POST",
        f"/restaurants/{rid}/menu/items",
        owner["headers"],
        json={"name": url[:100], "price_cents": 100, "description": url},
    )
    city.call("PATCH", "/customers/me", {**customer["headers"], **headers}, json={"name": url[:100], "phone": "1"})
    city.call("POST", "/customers/me/addresses", customer["headers"], json={**city.address, "label": "x", "line1": url})
    city.call("GET", f"/restaurants/{rid}/menu")
    city.call("GET", "/restaurants", params={"q": url})
    city.call("GET", f"/api-auth/login/?next={url}")
    order = city.place(customer, owner)
    city.call("GET", f"/orders/{order['id']}", customer["headers"])

    assert changed.status_code == 200
    assert changed.json()["description"] == url
    assert listener.hits == []
