"""The operators' routes of the order service: the city's orders with attention, cancelling with a
reason, the audit log, and every refusal; against the real servers."""

import pytest
from bson import ObjectId

from common import faults
from orders import operators, services
from orders.errors import IllegalTransition
from orders.tests.helpers import placed, transition

COURIER = "k" * 24
REASON = {"reason": "The kitchen called: their oven broke."}


@pytest.fixture
def operator(issue_token):
    operator_id = str(ObjectId())
    return operator_id, {"Authorization": f"Bearer {issue_token('operator', sub=operator_id)}"}


@pytest.fixture
def order(api_client, service_headers, menu):
    return placed(api_client, service_headers, menu, customer_id="c" * 24)


def _moved(api_client, service_headers, menu, order, *statuses):
    response = None
    for status in statuses:
        actor = ("courier", COURIER) if status in ("picked_up", "delivered") else ("restaurant", menu["owner_id"])
        response = transition(api_client, service_headers, order["id"], status, *actor)
        assert response.status_code == 200, response.content
    return response.json() if response else order


def _with_courier(api_client, service_headers, order):
    body = {"courier_id": COURIER, "delivery_id": str(ObjectId())}
    response = api_client.put(f"/internal/orders/{order['id']}/courier", body, format="json", headers=service_headers)
    assert response.status_code == 200, response.content
    return response.json()


def _audit(api_client, headers, **query):
    response = api_client.get("/operator/audit", query, headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def _cancel(api_client, headers, order_id, body=REASON):
    return api_client.post(f"/operator/orders/{order_id}/cancel", body, format="json", headers=headers)


# --- who may ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/operator/orders"), ("get", "/operator/audit"), ("post", "/operator/orders/{oid}/cancel")],
)
def test_operator_routes_refuse_everyone_else(api_client, issue_token, order, method, path):
    path = path.format(oid=order["id"])

    assert getattr(api_client, method)(path, REASON, format="json").status_code == 401
    for kind in ("customer", "restaurant", "courier", "service"):
        headers = {"Authorization": f"Bearer {issue_token(kind)}"}
        assert getattr(api_client, method)(path, REASON, format="json", headers=headers).status_code == 403, kind


def test_an_operator_reads_any_order(api_client, operator, order):
    response = api_client.get(f"/orders/{order['id']}", headers=operator[1])

    assert response.status_code == 200
    assert response.json()["id"] == order["id"]


def test_an_operator_cannot_act_as_a_party(api_client, operator, order):
    assert api_client.post(f"/orders/{order['id']}/cancel", headers=operator[1]).status_code == 403
    assert api_client.get("/customers/me/orders", headers=operator[1]).status_code == 403


# --- the city's orders ---------------------------------------------------------------------------------------


def test_the_list_has_live_orders_oldest_first_then_those_finished_lately(api_client, service_headers, menu, operator):
    first = placed(api_client, service_headers, menu, key="a")
    second = placed(api_client, service_headers, menu, key="b")
    rejected = placed(api_client, service_headers, menu, key="c")
    _moved(api_client, service_headers, menu, rejected, "rejected")

    page = api_client.get("/operator/orders", headers=operator[1]).json()

    assert page["count"] == 3
    assert [o["id"] for o in page["results"]] == [first["id"], second["id"], rejected["id"]]
    assert all(o["attention"] == [] for o in page["results"])
    assert page["results"][0]["courier_location"] is None


def test_orders_finished_before_the_window_are_not_listed(api_client, service_headers, menu, operator, settings):
    rejected = placed(api_client, service_headers, menu, key="c")
    _moved(api_client, service_headers, menu, rejected, "rejected")
    settings.OPERATOR_FINISHED_VISIBLE_S = 0

    assert api_client.get("/operator/orders", headers=operator[1]).json()["count"] == 0


def test_the_list_filters_by_status(api_client, service_headers, menu, operator):
    placed(api_client, service_headers, menu, key="a")
    accepted = _moved(api_client, service_headers, menu, placed(api_client, service_headers, menu, key="b"), "accepted")
    rejected = _moved(api_client, service_headers, menu, placed(api_client, service_headers, menu, key="c"), "rejected")

    live = api_client.get("/operator/orders", {"status": "accepted"}, headers=operator[1]).json()
    final = api_client.get("/operator/orders", {"status": "rejected"}, headers=operator[1]).json()

    assert [o["id"] for o in live["results"]] == [accepted["id"]]
    assert [o["id"] for o in final["results"]] == [rejected["id"]]


def test_attention_true_lists_only_the_orders_needing_it_with_their_reasons(
    api_client, service_headers, menu, operator, settings
):
    waiting = placed(api_client, service_headers, menu, key="a")
    with_courier = _moved(
        api_client, service_headers, menu, placed(api_client, service_headers, menu, key="b"), "accepted"
    )
    _with_courier(api_client, service_headers, with_courier)
    settings.ATTENTION_ACCEPT_S = 0
    settings.ATTENTION_WAITING_S = 0

    page = api_client.get("/operator/orders", {"attention": "true"}, headers=operator[1]).json()

    assert page["count"] == 1
    assert page["results"][0]["id"] == waiting["id"]
    assert page["results"][0]["attention"] == ["kitchen_slow", "waiting_for_courier"]


def test_pages_are_bounded(api_client, service_headers, menu, operator):
    for n in range(3):
        placed(api_client, service_headers, menu, key=f"k{n}")

    first = api_client.get("/operator/orders", {"page_size": 2}, headers=operator[1]).json()
    second = api_client.get("/operator/orders", {"page_size": 2, "page": 2}, headers=operator[1]).json()
    past = api_client.get("/operator/orders", {"page_size": 2, "page": 3}, headers=operator[1])

    assert (first["count"], len(first["results"]), len(second["results"])) == (3, 2, 1)
    assert first["next"] is not None
    assert past.status_code == 404


@pytest.mark.parametrize("query", [{"status": "lost"}, {"attention": "perhaps"}, {"status": '{"$ne": null}'}])
def test_bad_filters_are_400(api_client, operator, query):
    assert api_client.get("/operator/orders", query, headers=operator[1]).status_code == 400


# --- cancelling -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("moves", [(), ("accepted",), ("accepted", "preparing"), ("accepted", "preparing", "ready")])
def test_an_operator_cancels_an_order_before_pickup_and_it_is_audited(
    api_client, service_headers, menu, order, operator, moves
):
    _moved(api_client, service_headers, menu, order, *moves)

    response = _cancel(api_client, operator[1], order["id"])

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["history"][-1]["actor_type"] == "operator"
    [entry] = _audit(api_client, operator[1], order_id=order["id"])["results"]
    assert entry["action"] == "cancel"
    assert entry["operator_id"] == operator[0]
    assert entry["reason"] == REASON["reason"]
    assert (entry["outcome"], entry["error_code"]) == ("applied", None)


@pytest.mark.parametrize("moves", [("accepted", "preparing", "ready", "picked_up"), ("rejected",)])
def test_picked_up_and_final_orders_are_not_cancelled_and_the_refusal_is_audited(
    api_client, service_headers, menu, order, operator, moves
):
    if "picked_up" in moves:
        _with_courier(api_client, service_headers, order)
    _moved(api_client, service_headers, menu, order, *moves)

    response = _cancel(api_client, operator[1], order["id"])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    [entry] = _audit(api_client, operator[1], order_id=order["id"])["results"]
    assert (entry["outcome"], entry["error_code"]) == ("refused", "illegal_transition")


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": {"$ne": ""}}, {"reason": None}]
)
def test_a_cancel_needs_a_reason_of_1_to_500_characters(api_client, order, operator, body):
    response = _cancel(api_client, operator[1], order["id"], body)

    assert response.status_code == 400
    assert _audit(api_client, operator[1])["count"] == 0


def test_a_reason_of_500_characters_is_enough(api_client, order, operator):
    assert _cancel(api_client, operator[1], order["id"], {"reason": "x" * 500}).status_code == 200


@pytest.mark.parametrize("order_id", ['{"$ne": null}', "$where", "not-an-id"])
def test_operator_injection_in_the_order_id_is_refused(api_client, operator, order_id):
    response = _cancel(api_client, operator[1], order_id)

    assert response.status_code == 404
    assert _audit(api_client, operator[1])["count"] == 0


def test_an_unknown_order_is_404_and_the_refusal_audited(api_client, operator):
    unknown = str(ObjectId())

    response = _cancel(api_client, operator[1], unknown)

    assert response.status_code == 404
    [entry] = _audit(api_client, operator[1], order_id=unknown)["results"]
    assert (entry["outcome"], entry["error_code"]) == ("refused", "order_not_found")


# --- the audit log ---------------------------------------------------------------------------------------------


def test_the_audit_log_is_newest_first_and_filters_by_order_and_operator(
    api_client, service_headers, menu, issue_token, operator
):
    first = placed(api_client, service_headers, menu, key="a")
    second = placed(api_client, service_headers, menu, key="b")
    other_id = str(ObjectId())
    other = {"Authorization": f"Bearer {issue_token('operator', sub=other_id)}"}
    _cancel(api_client, operator[1], first["id"])
    _cancel(api_client, other, second["id"])
    _cancel(api_client, other, first["id"])  # refused: cancelled already

    everything = _audit(api_client, operator[1])["results"]
    of_first = _audit(api_client, operator[1], order_id=first["id"])["results"]
    of_other = _audit(api_client, operator[1], operator_id=other_id)["results"]

    assert [(e["order_id"], e["outcome"]) for e in everything] == [
        (first["id"], "refused"),
        (second["id"], "applied"),
        (first["id"], "applied"),
    ]
    assert [e["outcome"] for e in of_first] == ["refused", "applied"]
    assert {e["operator_id"] for e in of_other} == {other_id}
    assert len(of_other) == 2


@pytest.mark.parametrize("query", [{"order_id": '{"$ne": null}'}, {"operator_id": "x"}, {"order_id": "0" * 25}])
def test_audit_filters_that_are_not_ids_are_400(api_client, operator, query):
    assert api_client.get("/operator/audit", query, headers=operator[1]).status_code == 400


# --- never half done -------------------------------------------------------------------------------------------


def test_a_cancel_interrupted_after_its_move_is_settled_applied(api_client, order, operator):
    with faults.armed("order.transition.after_update", faults.CRASH), pytest.raises(faults.InjectedCrash):
        _cancel(api_client, operator[1], order["id"])
    assert _audit(api_client, operator[1])["results"][0]["outcome"] == "pending"

    assert operators.operator_actions_settle(older_than_s=0) == 1

    [entry] = _audit(api_client, operator[1])["results"]
    assert entry["outcome"] == "applied"
    assert api_client.get(f"/orders/{order['id']}", headers=operator[1]).json()["status"] == "cancelled"


def test_a_cancel_interrupted_before_its_move_is_refused_and_can_never_apply(api_client, order, operator, mongo_db):
    with faults.armed("operator.cancel.after_record", faults.CRASH), pytest.raises(faults.InjectedCrash):
        _cancel(api_client, operator[1], order["id"])
    [pending] = _audit(api_client, operator[1])["results"]

    operators.operator_actions_settle(older_than_s=0)

    [entry] = _audit(api_client, operator[1])["results"]
    assert (entry["outcome"], entry["error_code"]) == ("refused", "interrupted")
    # The interrupted request, paused rather than dead, comes back and tries: the order refuses it.
    stored = mongo_db["orders"].find_one({"_id": ObjectId(order["id"])})
    with pytest.raises(IllegalTransition):
        services.order_move(
            order=stored,
            target="cancelled",
            actor_type="operator",
            actor_id=operator[0],
            party={},
            unless_voided=pending["id"],
        )
    assert api_client.get(f"/orders/{order['id']}", headers=operator[1]).json()["status"] == "placed"


def _entry(operator_id: str) -> dict:
    return {
        "at": "2025-01-01T00:00:00Z",
        "operator_id": operator_id,
        "action": "assign",
        "order_id": str(ObjectId()),
        "courier_id": COURIER,
        "reason": "r",
        "outcome": "pending",
    }


def test_settling_leaves_the_delivery_services_actions_to_it(api_client, service_headers, operator):
    body = _entry(operator[0])
    api_client.put(f"/internal/operator/actions/{ObjectId()}", body, format="json", headers=service_headers)

    assert operators.operator_actions_settle(older_than_s=0) == 0


# --- the delivery service's entries ------------------------------------------------------------------------------


def test_the_delivery_service_appends_an_entry_once_and_settles_it_once(api_client, service_headers, operator):
    action_id = str(ObjectId())
    body = {
        "at": "2025-01-01T10:00:00Z",
        "operator_id": operator[0],
        "action": "assign",
        "order_id": str(ObjectId()),
        "courier_id": COURIER,
        "reason": "Kai is next door.",
        "outcome": "pending",
    }
    path = f"/internal/operator/actions/{action_id}"

    first = api_client.put(path, body, format="json", headers=service_headers)
    again = api_client.put(path, {**body, "reason": "changed"}, format="json", headers=service_headers)
    applied = api_client.put(f"{path}/outcome", {"outcome": "applied"}, format="json", headers=service_headers)
    retried = api_client.put(f"{path}/outcome", {"outcome": "applied"}, format="json", headers=service_headers)
    rewritten = api_client.put(
        f"{path}/outcome", {"outcome": "refused", "error_code": "x"}, format="json", headers=service_headers
    )

    assert first.status_code == again.status_code == applied.status_code == retried.status_code == 200
    assert again.json()["reason"] == "Kai is next door."
    assert retried.json()["outcome"] == "applied"
    assert rewritten.status_code == 409
    assert [e["outcome"] for e in _audit(api_client, operator[1])["results"]] == ["applied"]


def test_the_pending_entry_answers_the_order_as_its_owner_has_it(api_client, service_headers, operator, order):
    """The delivery service's action starts with one call: the entry appended, the order read."""
    action_id = str(ObjectId())
    body = {**_entry(operator[0]), "order_id": order["id"]}

    response = api_client.put(f"/internal/operator/actions/{action_id}", body, format="json", headers=service_headers)
    unknown = api_client.put(
        f"/internal/operator/actions/{ObjectId()}",
        {**body, "order_id": str(ObjectId())},
        format="json",
        headers=service_headers,
    )

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "pending"
    assert response.json()["order"]["id"] == order["id"]
    assert response.json()["order"]["status"] == "placed"
    assert unknown.status_code == 200
    assert unknown.json()["order"] is None  # the action refuses it (and settles its entry `refused`)


def _pending_assign(api_client, service_headers, operator_id, order_id) -> str:
    action_id = str(ObjectId())
    body = {**_entry(operator_id), "order_id": order_id}
    response = api_client.put(f"/internal/operator/actions/{action_id}", body, format="json", headers=service_headers)
    assert response.status_code == 200, response.content
    return action_id


def test_the_projection_settles_the_actions_entry_in_the_same_call(api_client, service_headers, operator, order):
    action_id = _pending_assign(api_client, service_headers, operator[0], order["id"])
    body = {"courier_id": COURIER, "delivery_id": str(ObjectId()), "action_id": action_id}
    path = f"/internal/orders/{order['id']}/courier"

    first = api_client.put(path, body, format="json", headers=service_headers)
    retried = api_client.put(path, body, format="json", headers=service_headers)  # a lost answer, sent again

    assert first.status_code == retried.status_code == 200, first.content
    assert first.json()["courier_id"] == COURIER
    assert first.json()["action_settled"] is True
    assert retried.json()["action_settled"] is True
    entries = _audit(api_client, operator[1], order_id=order["id"])["results"]
    assert [(e["id"], e["outcome"]) for e in entries] == [(action_id, "applied")]


def test_a_projection_stands_when_its_entry_cannot_be_settled(api_client, service_headers, operator, order):
    """The assignment is the fact: an entry settled otherwise (or missing) never refuses the
    projection; the answer says so and the delivery service settles the entry itself."""
    refused_id = _pending_assign(api_client, service_headers, operator[0], order["id"])
    outcome = {"outcome": "refused", "error_code": "courier_unavailable"}
    settled = api_client.put(
        f"/internal/operator/actions/{refused_id}/outcome", outcome, format="json", headers=service_headers
    )
    assert settled.status_code == 200, settled.content
    path = f"/internal/orders/{order['id']}/courier"

    against_refused = api_client.put(
        path,
        {"courier_id": COURIER, "delivery_id": str(ObjectId()), "action_id": refused_id},
        format="json",
        headers=service_headers,
    )
    missing = api_client.put(
        path,
        {"courier_id": COURIER, "delivery_id": against_refused.json()["delivery_id"], "action_id": str(ObjectId())},
        format="json",
        headers=service_headers,
    )

    assert against_refused.status_code == 200, against_refused.content
    assert against_refused.json()["courier_id"] == COURIER
    assert against_refused.json()["action_settled"] is False
    assert missing.status_code == 200
    assert missing.json()["action_settled"] is False
    entries = _audit(api_client, operator[1], order_id=order["id"])["results"]
    assert [e["outcome"] for e in entries] == ["refused"]  # never rewritten


def test_a_projection_without_an_action_says_nothing_of_one(api_client, service_headers, order):
    assert "action_settled" not in _with_courier(api_client, service_headers, order)


def test_the_internal_audit_routes_are_for_services(api_client, operator, service_headers):
    path = f"/internal/operator/actions/{ObjectId()}"

    body = _entry(operator[0])

    assert api_client.put(path, body, format="json", headers=operator[1]).status_code == 403
    assert (
        api_client.put("/internal/operator/actions/nope", body, format="json", headers=service_headers).status_code
        == 400
    )


# --- taking an order from its courier by hand (the delivery service's side calls this) ---------------------------


def _revoke(api_client, service_headers, order_id, delivery_id):
    path = f"/internal/orders/{order_id}/courier/revoke"
    return api_client.put(path, {"delivery_id": delivery_id}, format="json", headers=service_headers)


def test_a_revoked_delivery_leaves_the_order_waiting_and_is_never_projected_again(api_client, service_headers, order):
    assigned = _with_courier(api_client, service_headers, order)

    revoked = _revoke(api_client, service_headers, order["id"], assigned["delivery_id"])
    again = _revoke(api_client, service_headers, order["id"], assigned["delivery_id"])
    late = api_client.put(
        f"/internal/orders/{order['id']}/courier",
        {"courier_id": COURIER, "delivery_id": assigned["delivery_id"]},
        format="json",
        headers=service_headers,
    )

    assert revoked.status_code == again.status_code == 200
    assert (revoked.json()["courier_id"], revoked.json()["delivery_id"]) == (None, None)
    assert late.status_code == 409  # a late or racing projection of it: refused
    assert late.json()["error"]["code"] == "delivery_revoked"
    assert _with_courier(api_client, service_headers, order)["courier_id"] == COURIER  # another delivery: fine


def test_a_picked_up_order_keeps_its_courier_when_revoked(api_client, service_headers, menu, order):
    assigned = _with_courier(api_client, service_headers, order)
    _moved(api_client, service_headers, menu, order, "accepted", "preparing", "ready", "picked_up")

    revoked = _revoke(api_client, service_headers, order["id"], assigned["delivery_id"])

    assert revoked.status_code == 200
    assert (revoked.json()["status"], revoked.json()["delivery_id"]) == ("picked_up", assigned["delivery_id"])
