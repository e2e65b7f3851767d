"""The route table: literal routes win, internal routes never match (pure logic)."""

import pytest

from edge.routes import PUBLIC, TOKEN, resolve


@pytest.mark.parametrize(
    ("method", "path", "service", "auth"),
    [
        ("POST", "/restaurants/login", "auth", PUBLIC),
        ("POST", "/restaurants/login/mfa", "auth", PUBLIC),
        ("POST", "/restaurants/mfa/setup", "auth", TOKEN),
        ("GET", "/restaurants/popular", "restaurant", PUBLIC),
        ("GET", "/restaurants/65f0c0ffee00000000000001", "restaurant", PUBLIC),
        ("PATCH", "/restaurants/65f0c0ffee00000000000001", "restaurant", TOKEN),
        ("GET", "/restaurants", "restaurant", PUBLIC),
        ("POST", "/restaurants", "restaurant", TOKEN),
        ("GET", "/customers/me", "customer", TOKEN),
        ("GET", "/customers/me/addresses", "customer", TOKEN),
        # the orders' owner answers them: placement is one service hop (common/contracts/customer_addresses.py)
        ("POST", "/customers/me/orders", "order", TOKEN),
        ("GET", "/customers/me/orders", "order", TOKEN),
        ("POST", "/customers/me/orders/quote", "order", TOKEN),
        ("GET", "/orders/abc/events", "order", TOKEN),
        ("POST", "/deliveries/abc/status", "delivery", TOKEN),
        ("GET", "/.well-known/jwks.json", "auth", PUBLIC),
        # operators: each route to the owner of its fact (ARCHITECTURE 4.6)
        ("POST", "/operators/login", "auth", PUBLIC),
        ("POST", "/operators/login/mfa", "auth", PUBLIC),
        ("POST", "/operators/refresh-token", "auth", PUBLIC),
        ("POST", "/operators/logout", "auth", PUBLIC),
        ("GET", "/operator/orders", "order", TOKEN),
        ("POST", "/operator/orders/abc/cancel", "order", TOKEN),
        ("GET", "/operator/audit", "order", TOKEN),
        ("POST", "/operator/orders/abc/assign", "delivery", TOKEN),
        ("POST", "/operator/orders/abc/unassign", "delivery", TOKEN),
        ("GET", "/operator/couriers", "delivery", TOKEN),
    ],
)
def test_each_contract_route_goes_to_its_service(method, path, service, auth):
    match = resolve(method, path)

    assert match.route is not None
    assert match.route.service == service
    assert match.route.auth == auth


def test_nobody_registers_as_an_operator_through_the_gateway():
    assert resolve("POST", "/operators/register").route is None


def test_a_literal_route_owns_its_path_for_every_method():
    match = resolve("GET", "/restaurants/login")

    assert match.route is None
    assert match.allowed == {"POST"}


@pytest.mark.parametrize("path", ["/internal/service-token", "/internal", "/internal/orders/x/transition"])
def test_internal_routes_are_never_routed(path):
    match = resolve("POST", path)

    assert match.route is None
    assert not match.allowed


@pytest.mark.parametrize("path", ["/nope", "/restaurants/a/b/c/d/e", "/orders", "/static/../settings.py"])
def test_unknown_paths_match_nothing(path):
    assert resolve("GET", path).route is None


@pytest.mark.parametrize(
    ("path", "service"),
    [("/orders/x/events", "order"), ("/restaurants/x/orders/events", "order"), ("/couriers/me/events", "delivery")],
)
def test_the_live_streams_are_routed_as_streams(path, service):
    route = resolve("GET", path).route

    assert (route.service, route.stream, route.auth) == (service, True, TOKEN)


def test_a_browser_get_of_a_public_post_route_is_browsable_on_its_service():
    match = resolve("GET", "/customers/register")

    assert match.route is None
    assert match.browsable.service == "auth"
    assert resolve("DELETE", "/customers/register").browsable is None
    # A route that needs a token too: a signed-in browser gets its form; the service checks the token.
    assert resolve("GET", "/restaurants/mfa/setup").browsable.service == "auth"
