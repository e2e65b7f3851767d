"""Tests every service runs for the routes it gets from common (health, readiness, schema,
metrics, unknown routes). A service's suite imports them: `from common.testing.platform_routes
import *`."""


def test_healthz_answers_without_dependencies(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_checks_mongodb_and_redis(client, mongo_db, redis_client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"mongodb": "ok", "redis": "ok"}


def test_schema_is_openapi_3_with_documented_errors(client):
    response = client.get("/schema", headers={"Accept": "application/json"})

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "Error" in document["components"]["schemas"]


def test_metrics_are_prometheus_text(client):
    client.get("/healthz")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert b"http_requests_total" in response.content


def test_unknown_routes_are_json_404s(client):
    response = client.get("/no/such/route")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
