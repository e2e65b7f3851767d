"""OWASP API8:2023 Security Misconfiguration: hardening headers on every answer (JSON, HTML, errors,
streams), no software banner, CORS only for the configured origins and never with credentials,
debug off: errors are the contract's JSON without internals."""

import re

import pytest

HARDENING = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _hardened(response) -> None:
    for name, value in HARDENING.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name), response.request.url)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Server" not in response.headers, response.headers.get("Server")


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/restaurants", "application/json"),
        ("/restaurants", "text/html"),
        ("/api-auth/login/", "text/html"),
        ("/docs", "text/html"),
        ("/", "application/json"),
        ("/no/such/page", "application/json"),
        ("/static/rest_framework/css/bootstrap.min.css", "text/css"),
    ],
)
def test_every_answer_carries_the_hardening_headers(city, path, accept):
    _hardened(city.call("GET", path, {"Accept": accept}))


def test_errors_and_refusals_carry_them_too(city):
    _hardened(city.call("GET", "/customers/me"))  # 401 from the edge
    _hardened(city.call("GET", f"/orders/{city.order['id']}", city.customers[1]["headers"]))  # 404 from a service
    _hardened(city.call("POST", "/customers/me/addresses", city.customers[1]["headers"], json={"lat": "x"}))  # 400


def test_a_live_stream_carries_them(city):
    import requests

    response = requests.get(
        f"{city.gateway}/couriers/me/events", headers=city.couriers[1]["headers"], stream=True, timeout=10
    )
    try:
        _hardened(response)
    finally:
        response.close()


def test_the_sign_in_form_cannot_be_framed(city):
    page = city.call("GET", "/api-auth/login/", {"Accept": "text/html"})

    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_the_pages_load_only_their_own_assets_and_the_map_services_named(city, map_services):
    csp = city.call("GET", "/docs", {"Accept": "text/html"}).headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())

    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no other origin
    assert "*" not in csp
    # The only other origin: the tile server and geocoder this platform was started with
    # (MAP_TILES_URL, GEOCODER_URL; none by default), for images and the pages' address search.
    assert set(re.findall(r"https?://[^\s;]+", csp)) == {map_services.url}
    assert directives["img-src"] == f"'self' data: {map_services.url}"
    assert directives["connect-src"] == f"'self' {map_services.url}"


def test_cors_answers_configured_origins_only_and_never_with_credentials(city):
    foreign = city.call("GET", "/restaurants", {"Origin": "https://evil.example"})
    allowed = city.call("GET", "/restaurants", {"Origin": "http://localhost:3000"})
    preflight = city.call(
        "OPTIONS", "/customers/me", {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )

    assert "Access-Control-Allow-Origin" not in foreign.headers
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_debug_is_off_and_errors_never_show_internals(city):
    for response in (
        city.call("GET", "/no/such/page", {"Accept": "text/html"}),
        city.call(
            "POST",
            "/customers/me/addresses",
            {**city.customers[1]["headers"], "Content-Type": "application/json"},
            data=b"{",
        ),
        city.call("GET", "/orders/%00%ff", city.customers[1]["headers"]),
    ):
        text = response.text
        assert response.status_code < 500, text
        assert "Traceback" not in text
        assert "django" not in text.lower()
        assert response.json()["error"]["code"]
