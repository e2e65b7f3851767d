"""Operators deciding who delivers an order: assign, unassign, reassign, the couriers list, every
refusal, manual decisions winning over dispatch, and the owner rules when the action is paused or
interrupted half-way. The delivery service runs in-process (its faults can be armed); the order
service, which keeps the audit log, is the live one. Outcomes are checked as clients see them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from bson import ObjectId
from rest_framework.test import APIClient

from common import faults
from common.mongo import get_database
from common.testing.invariants import dispatch_violations
from deliveries import clients, dispatch, operators, repository

REASON = "Kai's bike has a flat tyre."


@pytest.fixture
def operator(issue_token):
    operator_id = str(ObjectId())
    return operator_id, {"Authorization": f"Bearer {issue_token('operator', sub=operator_id)}"}


@pytest.fixture
def city(api_client, actors, kitchen, operator):
    """This test's couriers (made on demand, with a profile here), and the calls operators make."""

    def courier(name="Kai", online=True) -> tuple[str, dict]:
        courier_id, headers = actors.user("couriers", name)
        changes = {"available": online}
        assert api_client.patch("/couriers/me", changes, format="json", headers=headers).status_code == 200
        return courier_id, headers

    def assign(order_id, courier_id, reason=REASON, headers=None, client=None):
        body = {"courier_id": courier_id, "reason": reason}
        return (client or api_client).post(
            f"/operator/orders/{order_id}/assign", body, format="json", headers=headers or operator[1]
        )

    def unassign(order_id, reason=REASON, headers=None):
        return api_client.post(
            f"/operator/orders/{order_id}/unassign", {"reason": reason}, format="json", headers=headers or operator[1]
        )

    def order(order_id) -> dict:
        return actors.ok("GET", f"/orders/{order_id}", headers=kitchen["customer_headers"])

    def active_order(headers) -> str | None:
        return api_client.get("/couriers/me", headers=headers).json()["active_order_id"]

    def deliveries(headers) -> dict[str, str]:
        return {d["order_id"]: d["status"] for d in api_client.get("/deliveries", headers=headers).json()["results"]}

    def audit(order_id) -> list[dict]:
        return actors.ok("GET", f"/operator/audit?order_id={order_id}", headers=operator[1])["results"]

    def violations(*couriers) -> list[str]:
        def call(method, path, headers=None, **kwargs):
            if path.startswith(("/couriers", "/deliveries")):
                return api_client.generic(method, path, headers=headers, **kwargs)
            return actors.call(method, path, headers=headers, **kwargs)

        return dispatch_violations(call, customers=[kitchen["customer_headers"]], couriers=list(couriers))

    class City:
        pass

    city = City()
    for name, value in locals().items():
        setattr(city, name, value)
    return city


def _under_way(order_id: str) -> bool:
    return bool((repository.decision_get(get_database(), order_id=order_id) or {}).get("under_way"))


def _applied(entries: list[dict], action: str) -> None:
    assert [(e["action"], e["outcome"]) for e in entries] == [(action, "applied")], entries


# --- who may -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/operator/orders/{oid}/assign"),
        ("post", "/operator/orders/{oid}/unassign"),
        ("get", "/operator/couriers"),
    ],
)
def test_operator_routes_refuse_everyone_else(api_client, issue_token, method, path):
    path = path.format(oid=str(ObjectId()))
    body = {"courier_id": "a" * 24, "reason": REASON}

    assert getattr(api_client, method)(path, body, format="json").status_code == 401
    for kind in ("customer", "restaurant", "courier", "service"):
        headers = {"Authorization": f"Bearer {issue_token(kind)}"}
        assert getattr(api_client, method)(path, body, format="json", headers=headers).status_code == 403, kind


def test_an_operator_is_no_courier(api_client, operator):
    assert api_client.get("/couriers/me", headers=operator[1]).status_code == 403
    assert api_client.get("/deliveries", headers=operator[1]).status_code == 403


# --- assign ----------------------------------------------------------------------------------------------------


def test_an_operator_assigns_a_waiting_order_and_it_is_audited(city, place_order, operator):
    courier_id, courier = city.courier()
    order = place_order()  # nobody asks this service to dispatch it: it waits

    response = city.assign(order["id"], courier_id)

    assert response.status_code == 200, response.content
    assert (response.json()["order_id"], response.json()["courier_id"]) == (order["id"], courier_id)
    assert response.json()["status"] == "assigned"
    assert city.order(order["id"])["courier_id"] == courier_id
    assert city.active_order(courier) == order["id"]
    [entry] = city.audit(order["id"])
    assert (entry["operator_id"], entry["courier_id"], entry["reason"]) == (operator[0], courier_id, REASON)
    _applied([entry], "assign")
    assert city.violations(courier) == []


def test_assigning_the_same_courier_again_is_idempotent(city, place_order):
    courier_id, _courier = city.courier()
    order = place_order()
    first = city.assign(order["id"], courier_id)

    again = city.assign(order["id"], courier_id)

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert [e["outcome"] for e in city.audit(order["id"])] == ["applied", "applied"]


def test_a_reassignment_moves_the_order_and_frees_the_first_courier(city, place_order, api_client):
    order = place_order()
    _first_id, first = city.courier("Ann")  # dispatch gives it to her
    assert city.active_order(first) == order["id"]
    second_id, second = city.courier("Bo")

    response = city.assign(order["id"], second_id)

    assert response.status_code == 200, response.content
    assert city.order(order["id"])["courier_id"] == second_id
    assert city.active_order(second) == order["id"]
    assert city.active_order(first) is None
    assert city.deliveries(first)[order["id"]] == "cancelled"
    dispatch.reconcile()  # nothing moves it back
    assert city.order(order["id"])["courier_id"] == second_id
    assert city.violations(first, second) == []


def _refused(city, response, order_id, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    [entry] = city.audit(order_id)
    assert (entry["outcome"], entry["error_code"]) == ("refused", code)


def test_a_courier_off_duty_is_refused_and_audited(city, place_order):
    courier_id, _ = city.courier(online=False)
    order = place_order()

    _refused(city, city.assign(order["id"], courier_id), order["id"], 409, "courier_unavailable")
    assert city.order(order["id"])["courier_id"] is None


@pytest.mark.parametrize(("policy", "capacity"), [("nearest", 1), ("routes", 2)])
def test_a_courier_at_capacity_is_refused_and_audited(city, place_order, settings, policy, capacity):
    settings.DISPATCH_POLICY = policy  # capacity: one order with the nearest rule, two with routes
    courier_id, _courier = city.courier()
    for _ in range(capacity):
        carried = place_order()
        assert city.assign(carried["id"], courier_id).status_code == 200
    order = place_order()

    _refused(city, city.assign(order["id"], courier_id), order["id"], 409, "courier_unavailable")
    assert city.order(order["id"])["courier_id"] is None


def test_an_unknown_courier_is_404_and_audited(city, place_order):
    order = place_order()

    response = city.assign(order["id"], str(ObjectId()))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "courier_not_found"
    assert city.audit(order["id"])[0]["error_code"] == "courier_not_found"


def test_picked_up_and_finished_orders_are_not_assigned(
    city, place_order, restaurant_moves, api_client, actors, kitchen
):
    picked = place_order()
    first_id, first = city.courier("Ann")
    restaurant_moves(picked["id"], "accepted", "preparing", "ready")
    [delivery] = api_client.get("/deliveries", headers=first).json()["results"]
    assert (
        api_client.post(
            f"/deliveries/{delivery['id']}/status", {"status": "picked_up"}, format="json", headers=first
        ).status_code
        == 200
    )
    cancelled = place_order()
    actors.ok("POST", f"/orders/{cancelled['id']}/cancel", headers=kitchen["customer_headers"])
    other_id, _ = city.courier("Bo")

    for order in (picked, cancelled):
        response = city.assign(order["id"], other_id)
        assert response.status_code == 409, order
        assert response.json()["error"]["code"] == "illegal_transition"
        assert city.audit(order["id"])[0]["outcome"] == "refused"
    assert city.order(picked["id"])["courier_id"] == first_id


@pytest.mark.parametrize(
    "body",
    [
        {"courier_id": "a" * 24},
        {"courier_id": "a" * 24, "reason": ""},
        {"courier_id": "a" * 24, "reason": "x" * 501},
        {"courier_id": {"$ne": None}, "reason": REASON},
        {"courier_id": '{"$ne": null}', "reason": REASON},
        {"courier_id": "$where", "reason": REASON},
        {"courier_id": "a" * 24, "reason": {"$gt": ""}},
        {"courier_id": "a" * 24, "reason": None},
        {"reason": REASON},
        {},
    ],
)
def test_an_assign_needs_a_reason_and_a_courier_id(api_client, operator, place_order, city, body):
    order = place_order()

    response = api_client.post(f"/operator/orders/{order['id']}/assign", body, format="json", headers=operator[1])

    assert response.status_code == 400
    assert city.audit(order["id"]) == []


@pytest.mark.parametrize("order_id", ['{"$ne": null}', "$where", "x" * 24])
def test_injection_in_the_order_id_is_refused(city, order_id):
    courier_id, _ = city.courier()

    assert city.assign(order_id, courier_id).status_code == 404
    assert city.unassign(order_id).status_code == 404


def test_an_unknown_order_is_404_and_audited(city):
    courier_id, _ = city.courier()
    unknown = str(ObjectId())

    assert city.assign(unknown, courier_id).status_code == 404
    assert city.audit(unknown)[0]["error_code"] == "order_not_found"


# --- unassign ---------------------------------------------------------------------------------------------------


def test_an_unassigned_order_waits_again_and_never_goes_back_to_that_courier(city, place_order):
    order = place_order()
    _first_id, first = city.courier("Ann")
    assert city.active_order(first) == order["id"]

    response = city.unassign(order["id"])

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["courier_id"]) == (order["id"], None)
    assert city.deliveries(first)[order["id"]] == "cancelled"
    assert city.active_order(first) is None  # free and on duty, yet:
    dispatch.reconcile()
    assert city.order(order["id"])["courier_id"] is None
    _applied(city.audit(order["id"]), "unassign")
    second_id, second = city.courier("Bo")  # somebody else takes it
    assert city.order(order["id"])["courier_id"] == second_id
    assert city.violations(second) == []


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": {"$ne": ""}}]
)
def test_an_unassign_needs_a_reason(city, place_order, api_client, operator, body):
    order = place_order()
    _courier_id, courier = city.courier()
    assert city.active_order(courier) == order["id"]

    response = api_client.post(f"/operator/orders/{order['id']}/unassign", body, format="json", headers=operator[1])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert city.audit(order["id"]) == []
    assert city.active_order(courier) == order["id"]


@pytest.mark.parametrize("final", ["cancelled", "delivered"])
def test_final_orders_are_neither_assigned_nor_unassigned(
    city, place_order, restaurant_moves, api_client, actors, kitchen, final
):
    order = place_order()
    _first_id, first = city.courier("Ann")
    assert city.active_order(first) == order["id"]
    if final == "cancelled":
        actors.ok("POST", f"/orders/{order['id']}/cancel", headers=kitchen["customer_headers"])
    else:
        restaurant_moves(order["id"], "accepted", "preparing", "ready")
        [delivery] = api_client.get("/deliveries", headers=first).json()["results"]
        for status in ("picked_up", "delivered"):
            moved = api_client.post(
                f"/deliveries/{delivery['id']}/status", {"status": status}, format="json", headers=first
            )
            assert moved.status_code == 200, moved.content
    other_id, _other = city.courier("Bo")

    refusals = [city.assign(order["id"], other_id), city.unassign(order["id"])]

    for response in refusals:
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "illegal_transition"
    assert [(e["outcome"], e["error_code"]) for e in city.audit(order["id"])] == [("refused", "illegal_transition")] * 2
    assert city.order(order["id"])["status"] == final


def test_unassign_refusals(city, place_order, restaurant_moves, api_client):
    order = place_order()
    assert city.unassign(order["id"]).status_code == 409  # no courier yet
    courier_id, courier = city.courier()
    restaurant_moves(order["id"], "accepted", "preparing", "ready")
    [delivery] = api_client.get("/deliveries", headers=courier).json()["results"]
    api_client.post(f"/deliveries/{delivery['id']}/status", {"status": "picked_up"}, format="json", headers=courier)

    response = city.unassign(order["id"])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    assert city.order(order["id"])["courier_id"] == courier_id
    assert [e["outcome"] for e in city.audit(order["id"])] == ["refused", "refused"]
    assert city.unassign(order["id"], reason="").status_code == 400


# --- manual decisions win ----------------------------------------------------------------------------------------


def test_dispatch_gives_a_pinned_order_to_its_courier_only(city, place_order, mongo_db, api_client):
    pinned = place_order()
    pinned_id, pinned_courier = city.courier("Bo", online=False)
    repository.decision_pin(mongo_db, order_id=pinned["id"], courier_id=pinned_id, now=datetime.now(UTC))

    _near_id, near = city.courier("Ann")  # free, on duty, the only one: still not hers
    assert city.active_order(near) is None
    api_client.patch("/couriers/me", {"available": True}, format="json", headers=pinned_courier)

    assert city.active_order(pinned_courier) == pinned["id"]


def test_a_courier_kept_for_a_pinned_order_gets_no_other(city, place_order, mongo_db, api_client):
    older = place_order()
    pinned = place_order()
    kept_id, kept = city.courier("Bo", online=False)
    repository.decision_pin(mongo_db, order_id=pinned["id"], courier_id=kept_id, now=datetime.now(UTC))

    api_client.patch("/couriers/me", {"available": True}, format="json", headers=kept)

    assert city.active_order(kept) == pinned["id"]
    assert city.order(older["id"])["courier_id"] is None


# --- never half done --------------------------------------------------------------------------------------------------


def test_an_assign_paused_between_the_claim_and_the_projection_is_applied_and_audited_once(
    city, place_order, api_client
):
    """The delivery service freezes after claiming the courier, before the order names them: what
    others see meanwhile stays consistent (the order is nobody else's), and once it goes on the
    action is applied and audited exactly once."""
    chosen_id, chosen = city.courier("Bo")
    _other_id, other = city.courier("Ann")
    order = place_order()  # nobody asks this service to dispatch it
    answer = {}

    with faults.paused("dispatch.project") as pause:
        worker = threading.Thread(
            target=lambda: answer.setdefault("response", city.assign(order["id"], chosen_id, client=APIClient()))
        )
        worker.start()
        assert pause.reached.wait(timeout=30)
        # Frozen: the claim exists, the order does not name the courier yet, the log says pending.
        assert city.order(order["id"])["courier_id"] is None
        assert [e["outcome"] for e in city.audit(order["id"])] == ["pending"]
        dispatch.dispatch()  # a dispatch pass meanwhile gives the order to nobody else
        assert city.active_order(other) is None
    worker.join(timeout=30)

    assert answer["response"].status_code == 200, answer["response"].content
    assert city.order(order["id"])["courier_id"] == chosen_id
    _applied(city.audit(order["id"]), "assign")
    assert city.violations(chosen, other) == []


def test_an_assign_whose_process_dies_after_the_claim_is_finished_by_resume(city, place_order):
    chosen_id, chosen = city.courier("Bo")
    order = place_order()

    with faults.armed("operator.assign.after_claim", faults.CRASH), pytest.raises(faults.InjectedCrash):
        city.assign(order["id"], chosen_id)
    assert [e["outcome"] for e in city.audit(order["id"])] == ["pending"]

    assert operators.resume(older_than_s=0) == 1

    assert city.order(order["id"])["courier_id"] == chosen_id
    _applied(city.audit(order["id"]), "assign")
    assert city.violations(chosen) == []


def test_an_unassign_interrupted_after_the_exclusion_is_finished_by_resume(city, place_order):
    order = place_order()
    _first_id, first = city.courier("Ann")

    with faults.armed("operator.unassign.after_exclude", faults.CRASH), pytest.raises(faults.InjectedCrash):
        city.unassign(order["id"])
    dispatch.reconcile()  # the order still names her: the action's own record finishes it
    assert city.active_order(first) == order["id"]
    operators.resume(older_than_s=0)

    assert city.order(order["id"])["courier_id"] is None
    assert city.active_order(first) is None
    assert city.deliveries(first)[order["id"]] == "cancelled"
    _applied(city.audit(order["id"]), "unassign")


def test_a_take_off_interrupted_after_the_order_let_go_is_finished_by_the_reconciler(city, place_order):
    """The order no longer names the courier, but their delivery and claim are left: the reconciler
    must take them off, never project the order onto that courier again."""
    order = place_order()
    _first_id, first = city.courier("Ann")

    with faults.armed("take_off.after_revoke", faults.CRASH), pytest.raises(faults.InjectedCrash):
        city.unassign(order["id"])
    assert city.active_order(first) == order["id"]  # her claim is still there
    dispatch.reconcile()

    assert city.order(order["id"])["courier_id"] is None
    assert city.active_order(first) is None
    assert city.deliveries(first)[order["id"]] == "cancelled"
    operators.resume(older_than_s=0)
    _applied(city.audit(order["id"]), "unassign")


def test_an_assign_asks_the_order_service_twice(city, place_order, monkeypatch):
    """The entry with the order read, the projection with the entry's outcome: two round trips in
    a row (the answer's latency under load is mostly such trips: bench/RESULTS.md)."""
    chosen_id, chosen = city.courier("Bo")
    order = place_order()
    calls = []
    real = clients.internal_request

    def counted(service, method, path, **kwargs):
        if not path.endswith("/courier-etas"):  # the route's times, sent by the announcer after the answer
            calls.append((service, method, path.replace(order["id"], "{oid}")))
        return real(service, method, path, **kwargs)

    monkeypatch.setattr(clients, "internal_request", counted)
    response = city.assign(order["id"], chosen_id)
    monkeypatch.setattr(clients, "internal_request", real)

    assert response.status_code == 200, response.content
    assert [(service, method) for service, method, _ in calls] == [("order", "PUT"), ("order", "PUT")], calls
    assert calls[0][2].startswith("/internal/operator/actions/")
    assert calls[1][2] == "/internal/orders/{oid}/courier"
    assert city.order(order["id"])["courier_id"] == chosen_id
    _applied(city.audit(order["id"]), "assign")
    assert not _under_way(order["id"])
    assert city.violations(chosen) == []


def test_an_assign_whose_process_dies_before_its_entry_is_finished_by_resume(city, place_order):
    """Recorded as under way, then dead before the audit log heard of it: resume appends the entry,
    checks and applies the action, and settles it once."""
    chosen_id, chosen = city.courier("Bo")
    order = place_order()

    with faults.armed("operator.audit_begin", faults.CRASH_BEFORE), pytest.raises(faults.InjectedCrash):
        city.assign(order["id"], chosen_id)
    assert city.audit(order["id"]) == []
    assert city.order(order["id"])["courier_id"] is None

    assert operators.resume(older_than_s=0) == 1

    assert city.order(order["id"])["courier_id"] == chosen_id
    _applied(city.audit(order["id"]), "assign")
    assert city.violations(chosen) == []


def test_a_refusal_found_by_resume_is_audited_once(city, place_order):
    """Dead before its entry; meanwhile the courier went off duty: resume refuses it, audited."""
    chosen_id, chosen = city.courier("Bo")
    order = place_order()

    with faults.armed("operator.audit_begin", faults.CRASH_BEFORE), pytest.raises(faults.InjectedCrash):
        city.assign(order["id"], chosen_id)
    city.api_client.patch("/couriers/me", {"available": False}, format="json", headers=chosen)
    assert operators.resume(older_than_s=0) == 1

    assert city.order(order["id"])["courier_id"] is None
    entries = city.audit(order["id"])
    assert [(e["outcome"], e["error_code"]) for e in entries] == [("refused", "courier_unavailable")]
    assert not _under_way(order["id"])


def test_an_assign_whose_entry_answer_is_lost_is_finished_by_resume(city, place_order):
    chosen_id, chosen = city.courier("Bo")
    order = place_order()

    with faults.armed("operator.audit_begin", faults.TIMEOUT_AFTER):
        response = city.assign(order["id"], chosen_id)
    assert response.status_code == 504, response.content  # unknown, never "failed"
    assert [e["outcome"] for e in city.audit(order["id"])] == ["pending"]

    assert operators.resume(older_than_s=0) == 1

    assert city.order(order["id"])["courier_id"] == chosen_id
    _applied(city.audit(order["id"]), "assign")
    assert city.violations(chosen) == []


def test_an_assign_whose_projection_answer_is_lost_is_applied_and_audited_once(city, place_order):
    """The order service projected and settled the entry, the answer was lost: the assign answers
    (the assignment is the fact), audits `applied` on its own (the same outcome again: a retry) and
    ends its record."""
    chosen_id, chosen = city.courier("Bo")
    order = place_order()

    with faults.armed("dispatch.project", faults.TIMEOUT_AFTER):
        response = city.assign(order["id"], chosen_id)

    assert response.status_code == 200, response.content
    _applied(city.audit(order["id"]), "assign")
    assert not _under_way(order["id"])
    assert city.order(order["id"])["courier_id"] == chosen_id
    assert city.violations(chosen) == []


def test_a_second_action_on_an_order_while_one_is_under_way_is_refused(city, place_order):
    chosen_id, _ = city.courier("Bo")
    other_id, _ = city.courier("Ann")
    order = place_order()

    with faults.paused("operator.assign.after_claim") as pause:
        worker = threading.Thread(target=lambda: city.assign(order["id"], chosen_id, client=APIClient()))
        worker.start()
        assert pause.reached.wait(timeout=30)
        second = city.assign(order["id"], other_id)
    worker.join(timeout=30)

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "operator_action_under_way"
    outcomes = sorted((e["outcome"], e["error_code"]) for e in city.audit(order["id"]))
    assert outcomes == [("applied", None), ("refused", "operator_action_under_way")]


# --- the couriers as operators see them ------------------------------------------------------------------------------


def test_the_couriers_list_has_position_deliveries_and_route(city, place_order, api_client, operator):
    order = place_order()
    courier_id, courier = city.courier("Ann")
    api_client.post("/couriers/me/location", {"lat": 52.371, "lng": 4.891}, format="json", headers=courier)
    idle_id, _ = city.courier("Bo", online=False)

    page = api_client.get("/operator/couriers", headers=operator[1]).json()
    on_duty = api_client.get("/operator/couriers", {"available": "true"}, headers=operator[1]).json()

    rows = {row["id"]: row for row in page["results"]}
    assert page["count"] == 2
    busy = rows[courier_id]
    assert (busy["name"], busy["available"], busy["vehicle"]) == ("Ann", True, "bicycle")
    assert (busy["location"]["lat"], busy["location"]["lng"]) == (52.371, 4.891)
    [delivery_id] = busy["deliveries"]
    assert [(s["stop"], s["order_id"], s["delivery_id"]) for s in busy["route"]] == [
        ("pickup", order["id"], delivery_id),
        ("dropoff", order["id"], delivery_id),
    ]
    assert (rows[idle_id]["deliveries"], rows[idle_id]["route"], rows[idle_id]["location"]) == ([], [], None)
    assert [row["id"] for row in on_duty["results"]] == [courier_id]


def test_the_couriers_list_is_paged_and_its_filter_checked(city, api_client, operator):
    for n in range(3):
        city.courier(f"C{n}")

    first = api_client.get("/operator/couriers", {"page_size": 2}, headers=operator[1]).json()

    assert (first["count"], len(first["results"])) == (3, 2)
    assert first["next"]
    assert api_client.get("/operator/couriers", {"available": "maybe"}, headers=operator[1]).status_code == 400


def test_the_consoles_re_read_goes_round_the_couriers_a_bounded_page_at_a_time(city, api_client, issue_token, settings):
    """The console's heartbeat asks for one page of couriers (OPERATOR_CONSOLE_COURIERS_PAGE), never
    the whole fleet; following `next` reads every courier once per round, in id order, and ends."""
    settings.OPERATOR_CONSOLE_COURIERS_PAGE = 2
    mine = {city.courier(f"C{n}")[0] for n in range(5)}
    headers = {"Authorization": f"Bearer {issue_token('service', sub='order')}"}
    seen: list[str] = []
    after = None
    for _page in range(10_000):
        params = {"after": after} if after else {}
        answer = api_client.get("/internal/operator/couriers", params, headers=headers).json()
        assert len(answer["couriers"]) <= 2
        seen += [courier["id"] for courier in answer["couriers"]]
        after = answer["next"]
        if after is None:
            break

    assert after is None  # the round ended
    assert mine <= set(seen)
    assert seen == sorted(set(seen))  # each courier once, in id order
