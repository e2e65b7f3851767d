"""The gateway in front of the real platform: six processes started by the project's tooling."""

import json
import re
import uuid

import pytest
import requests


@pytest.fixture(scope="module")
def gateway(live_platform):
    return live_platform.url("gateway")


def test_gateway_readyz_reports_every_upstream_ready(gateway):
    response = requests.get(f"{gateway}/readyz", timeout=5)

    assert response.status_code == 200
    assert set(response.json()["upstreams"]) == {"auth", "customer", "restaurant", "order", "delivery"}


@pytest.mark.parametrize("service", ["auth", "customer", "restaurant", "order", "delivery"])
def test_every_service_serves_health_readiness_schema_and_metrics(live_platform, service):
    base = live_platform.url(service)

    assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
    schema = requests.get(f"{base}/schema", headers={"Accept": "application/json"}, timeout=5)
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    metrics = requests.get(f"{base}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert "http_requests_total" in metrics.text


def test_a_customer_registers_logs_in_and_reads_their_profile_through_the_gateway(gateway):
    email = f"gw-{uuid.uuid4().hex[:8]}@example.com"
    credentials = {"email": email, "password": "correct horse battery"}

    registered = requests.post(f"{gateway}/customers/register", json={**credentials, "name": "Gwen"}, timeout=10)
    tokens = requests.post(f"{gateway}/customers/login", json=credentials, timeout=10).json()
    me = requests.get(f"{gateway}/customers/me", headers={"Authorization": f"Bearer {tokens['access']}"}, timeout=10)

    assert registered.status_code == 201
    assert me.status_code == 200
    assert me.json()["email"] == email
    assert me.headers["X-Request-ID"]


def test_a_courier_token_cannot_open_the_customer_profile(gateway):
    email = f"gw-{uuid.uuid4().hex[:8]}@example.com"
    credentials = {"email": email, "password": "correct horse battery"}
    requests.post(f"{gateway}/couriers/register", json={**credentials, "name": "Cai"}, timeout=10)
    tokens = requests.post(f"{gateway}/couriers/login", json=credentials, timeout=10).json()

    response = requests.get(
        f"{gateway}/customers/me", headers={"Authorization": f"Bearer {tokens['access']}"}, timeout=10
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_the_browsable_api_renders_through_the_gateway_with_its_css(gateway):
    page = requests.get(f"{gateway}/customers/register", headers={"Accept": "text/html"}, timeout=10)

    assert page.status_code == 405  # GET on a POST route: DRF renders the form page anyway
    assert "text/html" in page.headers["Content-Type"]
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', page.text)
    assert stylesheets
    for href in stylesheets:
        assert requests.get(f"{gateway}{href}", timeout=10).status_code == 200


def test_the_request_id_travels_from_the_client_to_the_service_and_back(gateway):
    response = requests.post(
        f"{gateway}/customers/login",
        json={"email": "x@example.com", "password": "nope"},
        headers={"X-Request-ID": "trace-me-123"},
        timeout=10,
    )

    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "trace-me-123"


def test_the_merged_schema_lists_public_paths_only_with_bearer_auth(gateway):
    document = requests.get(f"{gateway}/schema", timeout=10).json()

    paths = set(document["paths"])
    assert {
        "/customers/register",
        "/customers/me/orders",
        "/restaurants/{restaurant_id}/menu",
        "/orders/{order_id}/events",
        "/deliveries/{delivery_id}/status",
    } <= paths
    assert not [p for p in paths if p.startswith("/internal")]
    # An operation is documented by the service the gateway routes it to.
    assert document["paths"]["/customers/me/orders"]["post"]["tags"] == ["order"]
    assert document["paths"]["/customers/me/orders/quote"]["post"]["tags"] == ["order"]
    assert document["paths"]["/customers/me/addresses"]["post"]["tags"] == ["customer"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert any(name.startswith("Restaurant_") for name in document["components"]["schemas"])
    refs = json.dumps(document["paths"])
    for ref in set(re.findall(r'"#/components/schemas/([^"]+)"', refs)):
        assert ref in document["components"]["schemas"]


def test_docs_serve_swagger_ui_with_local_assets(gateway):
    page = requests.get(f"{gateway}/docs", timeout=10)

    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert assets
    assert not re.findall(r'(?:src|href)="https?://', page.text)  # no CDN
    for asset in assets:
        assert requests.get(f"{gateway}{asset}", timeout=10).status_code == 200


def test_public_operations_need_no_token_in_the_schema(gateway):
    paths = requests.get(f"{gateway}/schema", timeout=10).json()["paths"]

    assert paths["/customers/login"]["post"]["security"] == []
    assert paths["/restaurants"]["get"]["security"] == []
    assert paths["/customers/me"]["get"].get("security") != []
