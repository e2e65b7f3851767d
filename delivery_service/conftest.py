import pytest
from pymongo import MongoClient


@pytest.fixture(scope="session")
def live_platform_env():
    """This suite's in-process delivery service owns the assignments of the orders it dispatches;
    the live delivery service (its own database) must not reconcile them away, so its periodic
    reconciler is off (one owner per fact, even in tests)."""
    return {"DISPATCH_SWEEP_S": "0"}


@pytest.fixture(scope="session")
def jwt_key_pair(live_platform):
    """Tokens minted by the live auth service must verify here: use its key pair."""
    return live_platform.key_pair()


@pytest.fixture(autouse=True)
def _wired_to_live_platform(wire_to_live_platform, mongo_db, redis_client):
    """This in-process service talks to the live platform's other services."""
    wire_to_live_platform("delivery", ["auth", "order", "restaurant"])


@pytest.fixture(autouse=True)
def _no_waiting_orders_from_earlier_tests(settings, live_platform):
    """The live order service's queue is shared by every test, each with its own delivery database:
    take what earlier tests left waiting or assigned out of dispatch, so each test sees only its own (setup only; no test reads
    another service's database to check an outcome)."""
    client = MongoClient(settings.MONGO_URL)
    client[f"{live_platform.db_prefix}orders"]["orders"].update_many(
        {"dispatch": {"$in": ["waiting", "assigned"]}}, {"$set": {"dispatch": "drained-by-tests"}}
    )
    client.close()


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
