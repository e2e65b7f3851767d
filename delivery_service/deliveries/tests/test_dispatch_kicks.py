"""Dispatch is kicked, never run inline: a kick (a courier on duty, a position from a free courier)
asks the dispatch loop (deliveries/background.py, common/background.py) for a pass on its own thread.
Against the live order service and the real store and Redis."""

from __future__ import annotations

import asyncio
import io
import json

from django.core.management import call_command

from common.asgi import PooledThreadsASGIHandler
from common.fast_paths import FastRoutes
from common.testing.fast_paths import Call, answer_now
from common.testing.waiting import eventually
from deliveries import clients, services

NEAR = (52.371, 4.891)  # ~0.1 km from the live platform's restaurants


def _on_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _active(api_client, headers):
    return api_client.get("/couriers/me", headers=headers).json()["active_order_id"]


def test_a_position_report_never_runs_a_dispatch_pass_on_the_event_loop(
    api_client, courier, place_order, monkeypatch, settings
):
    """A free courier's position asks for a pass. A pass reads MongoDB and calls the order service:
    run on the event loop of the position fast path, it would stall every request of the process."""
    settings.DISPATCH_POLICY = "nearest"  # assigned at once (a plan would wait for the kitchen: timed dispatch)
    _, headers = courier
    assert api_client.patch("/couriers/me", {"available": True}, format="json", headers=headers).status_code == 200
    order = place_order()  # after going on duty: only the position's kick can find it
    passes = []  # for each pass: whether it ran on an event loop
    queue = clients.orders_awaiting_courier

    def watched(**kwargs):
        passes.append(_on_an_event_loop())
        return queue(**kwargs)

    monkeypatch.setattr(clients, "orders_awaiting_courier", watched)  # every pass reads the queue
    monkeypatch.setitem(services._position_kicks, "last", 0.0)  # no kick of an earlier test holds this one back
    body = json.dumps({"lat": NEAR[0], "lng": NEAR[1]}).encode()
    raw_headers = ((b"content-type", b"application/json"), (b"authorization", headers["Authorization"].encode()))
    call = Call("POST", "/couriers/me/location", raw_headers, body)

    assert answer_now(FastRoutes(PooledThreadsASGIHandler()), call).status == 204
    assert eventually(lambda: _active(api_client, headers) == order["id"])  # the loop's pass, soon after
    assert passes  # the pass ran ...
    assert not any(passes)  # ... and never on the event loop


def test_a_courier_going_on_duty_gets_the_waiting_order_from_the_loop_s_pass(api_client, courier, place_order):
    _, headers = courier
    order = place_order()

    # The request waits up to DISPATCH_KICK_WAIT_S for the pass it kicked, run on the loop's thread.
    assert api_client.patch("/couriers/me", {"available": True}, format="json", headers=headers).status_code == 200

    assert _active(api_client, headers) == order["id"]


def test_the_service_declares_its_loops_with_their_periods_and_why_each_is_safe():
    out = io.StringIO()

    call_command("run_workers", "--list", stdout=out)

    lines = out.getvalue().splitlines()
    assert [line.split(" ")[0] for line in lines] == [
        "dispatch",
        "dispatch-plan",
        "positions-write-behind",
        "operator-actions",
    ]
    assert lines[0].startswith("dispatch (DISPATCH_SWEEP_S: every 3600 s, kickable): safe because ")
