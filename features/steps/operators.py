"""Steps for operators: made with the auth service's own command, signed in with a code, moving
orders between couriers, and reading the audit log."""

import uuid

import pyotp
from behave import given, then, when
from support.api import PASSWORD, act

from common.testing.waiting import eventually


@given('an operator "{name:Q}" signed in with a code')
def step_operator(context, name):
    # Operators are never self-registered: the people who run the platform make them with the auth
    # service's `create_operator` (`make operator`), which needs the platform's own tooling.
    assert context.stack is not None, "operators are made with the auth service's command: run without GATEWAY_URL"
    email = f"{name.lower()}.{uuid.uuid4().hex[:8]}@example.com"
    printed = context.stack.create_operator(email, PASSWORD)
    uri = next(line for line in printed.splitlines() if line.startswith("otpauth://"))
    challenge = context.api.ok("POST", "/operators/login", json={"email": email, "password": PASSWORD})
    assert challenge["mfa_required"] is True, challenge
    code = pyotp.parse_uri(uri).now()
    tokens = context.api.ok("POST", "/operators/login/mfa", json={"mfa_token": challenge["mfa_token"], "code": code})
    context.users[name] = {"kind": "operator", "email": email, **tokens}


def _order_now(context):
    return context.api.ok("GET", f"/orders/{context.order['id']}", context.customer["access"])


@given("{name} is assigned to the order")
def step_given_assigned(context, name):
    courier_id = context.users[name]["id"]
    assert eventually(lambda: _order_now(context)["courier_id"] == courier_id), _order_now(context)


@given("the kitchen has the order ready")
def step_kitchen_ready(context):
    owner = context.users["owner"]["access"]
    for status in ("accepted", "preparing", "ready"):
        answer = context.api.set_order_status(owner, context.order["restaurant_id"], context.order["id"], status)
        assert answer.status_code == 200, answer.text


@given("{name} picks up the order")
def step_picks_up(context, name):
    token = context.users[name]["access"]
    [delivery] = [
        d for d in context.api.ok("GET", "/deliveries", token)["results"] if d["order_id"] == context.order["id"]
    ]
    context.api.ok("POST", f"/deliveries/{delivery['id']}/status", token, json={"status": "picked_up"})


@when('{operator} gives the order to {courier} because "{reason:Q}"')
def step_assign(context, operator, courier, reason):
    body = {"courier_id": context.users[courier]["id"], "reason": reason}
    act(context, operator, "POST", f"/operator/orders/{context.order['id']}/assign", json=body)


@when('{operator} takes the order from its courier because "{reason:Q}"')
def step_unassign(context, operator, reason):
    act(context, operator, "POST", f"/operator/orders/{context.order['id']}/unassign", json={"reason": reason})
    assert context.last.status_code == 200, context.last.text


@when("{operator} takes the order from its courier without a reason")
def step_unassign_without_reason(context, operator):
    act(context, operator, "POST", f"/operator/orders/{context.order['id']}/unassign", json={})


@then("{name} is free, his delivery of the order cancelled")
def step_courier_free(context, name):
    token = context.users[name]["access"]
    assert context.api.ok("GET", "/couriers/me", token)["active_order_id"] is None
    statuses = {d["order_id"]: d["status"] for d in context.api.ok("GET", "/deliveries", token)["results"]}
    assert statuses[context.order["id"]] == "cancelled", statuses


@then(
    'the audit log shows that {operator}\'s "{action:Q}" of the order to {courier} was {outcome:w} because "{reason:Q}"'
)
def step_audit(context, operator, action, courier, outcome, reason):
    token = context.users[operator]["access"]
    [entry] = context.api.ok("GET", f"/operator/audit?order_id={context.order['id']}", token)["results"]
    assert (entry["action"], entry["courier_id"], entry["outcome"], entry["reason"]) == (
        action,
        context.users[courier]["id"],
        outcome,
        reason,
    ), entry
