"""`make demo` against the live platform: idempotent seeding, and one simulated order to the door."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[3] / "tools" / "demo.py"


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_data_is_created_once_and_an_order_reaches_the_door(demo, live_platform):
    client = demo.Client(live_platform.url("gateway"))

    first = demo.seed(client)
    again = demo.seed(client)
    try:
        order_id = demo.simulate_one(client, again, 0, pause_s=0)
    finally:  # the demo couriers must not take the orders of the tests that share this platform
        for courier in again["couriers"]:
            client.ok("PATCH", "/couriers/me", courier["access"], json={"available": False})

    assert [r["id"] for r in again["restaurants"]] == [r["id"] for r in first["restaurants"]]
    assert all(len(r["menu"]) == 3 for r in again["restaurants"])
    assert again["address"]["id"] == first["address"]["id"]
    order = client.ok("GET", f"/orders/{order_id}", again["customer"]["access"])
    assert order["status"] == "delivered"
    assert [h["status"] for h in order["history"]][-2:] == ["picked_up", "delivered"]


def test_demo_prints_the_shop_and_each_kitchen_s_back_office(demo, live_platform, monkeypatch, capsys):
    gateway = live_platform.url("gateway")
    client = demo.Client(gateway)
    world = demo.seed(client)
    monkeypatch.setattr("sys.argv", ["demo.py", "--gateway", gateway, "--no-simulator"])
    try:
        assert demo.main() == 0  # seeds again (the same data) and says where to go
    finally:  # the demo couriers must not take the orders of the tests that share this platform
        for courier in world["couriers"]:
            client.ok("PATCH", "/couriers/me", courier["access"], json={"available": False})

    printed = capsys.readouterr().out
    assert f"{gateway}/shop/" in printed
    assert all(f"{gateway}/restaurants/{r['id']}/manage" in printed for r in world["restaurants"])
