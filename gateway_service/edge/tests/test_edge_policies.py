"""Rate limits, the access log and the merged docs, against real Redis and real upstream servers."""

import json
import logging

from django.test import AsyncClient


def test_auth_routes_have_a_stricter_limit_per_address(echo, run_async, settings):
    settings.RATE_LIMIT_AUTH_PER_MINUTE = 3

    async def scenario():
        client = AsyncClient()
        return [await client.post("/customers/login", data={}, content_type="application/json") for _ in range(4)]

    responses = run_async(scenario())

    assert [r.status_code for r in responses] == [201, 201, 201, 429]
    limited = responses[-1]
    assert json.loads(limited.content)["error"]["code"] == "rate_limited"
    assert 0 < int(limited["Retry-After"]) <= 60
    assert limited["RateLimit-Policy"] == '"auth";q=3;w=60'
    assert responses[0]["RateLimit"].startswith('"auth";r=2;')
    assert len(echo.received) == 3


def test_the_default_limit_counts_per_user_when_a_token_names_one(echo, run_async, settings, issue_token):
    settings.RATE_LIMIT_DEFAULT_PER_MINUTE = 2
    ann, bob = issue_token("customer", sub="a" * 24), issue_token("customer", sub="b" * 24)

    async def scenario():
        client = AsyncClient()
        statuses = []
        for token in (ann, ann, ann, bob):
            response = await client.get("/customers/me", headers={"Authorization": f"Bearer {token}"})
            statuses.append(response.status_code)
        return statuses

    assert run_async(scenario()) == [200, 200, 429, 200]


async def _three_anonymous_reads() -> list[int]:
    client = AsyncClient()
    return [(await client.get("/restaurants")).status_code for _ in range(3)]


def test_anonymous_requests_count_per_address(echo, run_async, settings):
    settings.RATE_LIMIT_DEFAULT_PER_MINUTE = 2

    assert run_async(_three_anonymous_reads()) == [200, 200, 429]


def test_with_redis_down_the_gateway_keeps_serving(echo, run_async, settings, redis_down):
    settings.RATE_LIMIT_DEFAULT_PER_MINUTE = 1

    assert run_async(_three_anonymous_reads()) == [200, 200, 200]


def test_one_access_log_line_per_request_without_secrets(echo, run_async, caplog, issue_token):
    token = issue_token("customer")
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        run_async(AsyncClient().get("/customers/me?password=hunter2", headers={"Authorization": f"Bearer {token}"}))

    lines = [r for r in caplog.records if r.name == "gateway.access"]
    assert len(lines) == 1
    line = lines[0]
    assert (line.method, line.route, line.upstream, line.status) == ("GET", "/customers/me", "customer", 200)
    assert line.duration_ms >= 0
    assert line.client == "127.0.0.1"
    rendered = json.dumps(vars(line), default=str)
    assert token not in rendered
    assert "hunter2" not in rendered


def test_behind_an_ingress_metrics_and_readiness_are_not_served_to_the_internet(run_async, settings):
    """Probes and Prometheus reach the pod directly; whatever came through the ingress carries
    X-Forwarded-For and is told these routes do not exist."""
    settings.OPERATIONS_DIRECT_ONLY = True

    async def scenario():
        client = AsyncClient()
        via_ingress = {"headers": {"X-Forwarded-For": "203.0.113.7"}}
        return (
            await client.get("/metrics", **via_ingress),
            await client.get("/readyz", **via_ingress),
            await client.get("/metrics"),
            await client.get("/healthz", **via_ingress),
        )

    metrics_outside, ready_outside, metrics_inside, health_outside = run_async(scenario())

    assert metrics_outside.status_code == 404
    assert ready_outside.status_code == 404
    assert json.loads(metrics_outside.content)["error"]["code"] == "not_found"
    assert metrics_inside.status_code == 200
    assert health_outside.status_code == 200


def test_the_api_root_links_every_public_resource_group(client):
    answer = client.get("/", HTTP_ACCEPT="application/json")
    page = client.get("/", HTTP_ACCEPT="text/html")

    assert answer.status_code == 200
    groups = answer.json()
    assert set(groups) == {
        "identity",
        "customers",
        "restaurants",
        "orders",
        "couriers",
        "operators",
        "pages",
        "platform",
    }
    assert groups["restaurants"]["list"] == "http://testserver/restaurants"
    assert groups["pages"]["shop"] == "http://testserver/shop/"  # a customer starts there, everyone at home
    assert groups["pages"]["home"] == "http://testserver/home"
    assert groups["couriers"]["location"].endswith("/couriers/me/location")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert b"Food delivery API" in page.content
