"""Behave hooks: a client for the gateway, and the platform itself when GATEWAY_URL is not given.

Without GATEWAY_URL the whole platform is started with the project's own tooling (on free ports,
against MONGO_URL/REDIS_URL, which `make e2e` provides) and stopped afterwards. Every scenario
creates its own users (unique emails), so scenarios are independent and run in any order.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import parse  # noqa: E402
from behave import register_type  # noqa: E402
from support.api import Api, StreamFollower  # noqa: E402

from common.testing.live import devstack  # noqa: E402


# "{name:Q}" in step patterns: text between quotes, never running past a closing quote.
@parse.with_pattern(r'[^"]+')
def _quoted(text: str) -> str:
    return text


register_type(Q=_quoted)


def before_all(context):
    context.stack = None
    url = os.environ.get("GATEWAY_URL")
    if not url:
        stack = devstack().Stack(
            data_dir=Path(tempfile.mkdtemp(prefix="fd-e2e-")),
            free_ports=True,
            quiet=True,
            db_prefix=f"e2e_{uuid.uuid4().hex[:8]}_",
            # Short, so the reuse scenario need not wait 10 s.
            extra_env={"REFRESH_REUSE_GRACE_S": "1"},
        )
        try:
            stack.start_databases()
            stack.start_services()
        except BaseException:
            stack.stop()
            raise
        context.stack = stack
        url = stack.gateway_url
    context.gateway_url = url


def before_scenario(context, scenario):
    context.api = Api(context.gateway_url)
    context.users = {}
    context.placed_orders = []  # (customer token, order id)
    context.couriers = []  # tokens
    context.streams = []  # live streams the scenario opened, closed after it


def after_scenario(context, scenario):
    """Leaves the shared platform as a quiet city: this scenario's couriers go offline, its orders
    that nobody accepted are cancelled, and those a kitchen started but no courier took are
    delivered, so the next scenario's couriers get that scenario's orders."""
    for stream in context.streams:
        stream.close()
    for token in context.couriers:
        context.api.call("PATCH", "/couriers/me", token, json={"available": False})
    for token, order_id in context.placed_orders:
        order = context.api.call("GET", f"/orders/{order_id}", token)
        if order.status_code != 200:
            continue
        if order.json()["status"] == "placed":
            context.api.call("POST", f"/orders/{order_id}/cancel", token)
        elif order.json()["status"] in ("accepted", "preparing", "ready") and not order.json()["courier_id"]:
            _deliver(context, order.json())


def _deliver(context, order: dict) -> None:
    """A courier of the city's own, right at the restaurant, takes a started order to the door."""
    owner = context.users["owner"]["access"]
    path = f"/restaurants/{order['restaurant_id']}/orders/{order['id']}/status"
    steps = ("accepted", "preparing", "ready")
    for status in steps[steps.index(order["status"]) + 1 :]:
        context.api.call("POST", path, owner, json={"status": status})
    courier = context.api.new_user("courier", "Sweeper")
    token = courier["access"]
    pickup = order["pickup_address"] or {}
    if pickup.get("lat") is not None:
        context.api.call("POST", "/couriers/me/location", token, json={"lat": pickup["lat"], "lng": pickup["lng"]})
    context.api.call("PATCH", "/couriers/me", token, json={"available": True})
    feed = StreamFollower(context.api, "/couriers/me/events", token)
    try:
        told = feed.wait_for(
            lambda e: (
                (e["data"] if e["event"] == "delivery" else e["data"].get("delivery") or {}).get("order_id")
                == order["id"]
            )
        )
    finally:
        feed.close()
    if told:
        delivery = told["data"] if told["event"] == "delivery" else told["data"]["delivery"]
        for status in ("picked_up", "delivered"):
            context.api.call("POST", f"/deliveries/{delivery['id']}/status", token, json={"status": status})
    context.api.call("PATCH", "/couriers/me", token, json={"available": False})


def after_all(context):
    if context.stack is not None:
        context.stack.stop()
