"""OWASP API9:2023 Improper Inventory Management: what answers is what is documented. Every route of
the gateway's table is in the published OpenAPI document and every documented path is routed; no
undocumented path answers (internal routes, framework defaults, operations endpoints behind the
ingress are their own tests)."""

import re

import pytest

from edge.routes import ROUTES


def _documented(city) -> set[str]:
    schema = city.call("GET", "/schema", {"Accept": "application/json"}).json()
    return {re.sub(r"\{[^}]+\}", "{}", path) for path in schema["paths"]}


def test_every_routed_path_is_documented_and_every_documented_path_routed(city):
    routed = {re.sub(r"\{[^}]+\}", "{}", r.pattern) for r in ROUTES if not r.pattern.startswith("/static/")}
    documented = _documented(city)

    assert routed - documented == set(), "routed but undocumented"
    assert documented - routed - {"/"} == set(), "documented but not routed"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/internal/orders",
        "/.env",
        "/debug",
        "/api/v1/orders",
        "/orders",
        "/schema/../internal",
        "/metrics/../internal/orders",
        "/static/../../etc/passwd",
        "/restaurants/x/y/z/w",
    ],
)
def test_paths_nobody_documented_do_not_answer(city, path):
    response = city.call("GET", path, city.customers[0]["headers"])

    assert response.status_code in (404, 405)
    assert response.json()["error"]["code"] in ("not_found", "method_not_allowed")
