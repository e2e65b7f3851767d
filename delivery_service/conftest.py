import pytest

from common.testing.plugin import beside_the_live_platform


@pytest.fixture(scope="session")
def live_platform_env():
    """This suite's in-process delivery service owns the assignments of the orders it dispatches;
    the live delivery service (its own database) must not reconcile them away, so its periodic
    reconciler is off (one owner per fact, even in tests)."""
    return {"DISPATCH_SWEEP_S": "0"}


# This in-process service talks to the live platform's other services.
jwt_key_pair, _wired_to_live_platform = beside_the_live_platform("delivery", ["auth", "order", "restaurant"])


@pytest.fixture(autouse=True)
def _loops_running(settings, request):
    """The service's background loops run as in a server, so a kick (a courier going on duty, a
    delivery finished) reaches the dispatch loop on its own thread. Their periodic passes are off the
    test's clock: a test runs `dispatch.reconcile()` or `tracking.persist_positions()` where it wants one."""
    settings.DISPATCH_SWEEP_S = 3600.0
    settings.COURIER_LOCATION_PERSIST_S = 3600.0
    request.getfixturevalue("background_loops")


@pytest.fixture(autouse=True)
def _no_waiting_orders_from_earlier_tests(no_orders_waiting):
    """Each test's couriers see only that test's orders (common.testing.plugin)."""


@pytest.fixture
def kitchen(actors):
    """A live restaurant with a menu, its owner's headers, and a customer with an address."""
    _owner_id, owner_headers = actors.user("restaurants", "Chef")
    world = actors.restaurant_with_menu(owner_headers)
    _customer_id, customer_headers, address_id = actors.customer_with_address()
    return {**world, "owner_headers": owner_headers, "customer_headers": customer_headers, "address_id": address_id}


@pytest.fixture
def place_order(actors, kitchen):
    """Places an order on the live platform through the gateway; returns it."""
    return lambda: actors.place_order(kitchen["customer_headers"], kitchen, kitchen["address_id"])


@pytest.fixture
def courier(actors):
    """A live courier account: (id, headers). Its profile here is made on first access."""
    return actors.user("couriers", "Kai")


@pytest.fixture
def kai(api_client, courier):
    """A live courier whose profile here exists: (id, headers)."""
    courier_id, headers = courier
    api_client.get("/couriers/me", headers=headers)
    return courier_id, headers


@pytest.fixture
def restaurant_moves(actors, kitchen):
    """The kitchen's owner moves an order through the given statuses, through the gateway."""

    def move(order_id: str, *statuses: str) -> None:
        for status in statuses:
            actors.ok(
                "POST",
                f"/restaurants/{kitchen['restaurant']['id']}/orders/{order_id}/status",
                headers=kitchen["owner_headers"],
                json={"status": status},
            )

    return move
