"""Calls from the delivery service to the order and auth services (service tokens)."""

from __future__ import annotations

from common.http import internal_request, raise_for_upstream


def orders_awaiting_courier(*, limit: int) -> list[dict]:
    response = internal_request("order", "GET", "/internal/orders/awaiting-courier", params={"limit": limit})
    raise_for_upstream(response, "order")
    return response.json()["results"]


def order_project_courier(
    *,
    order_id: str,
    courier_id: str,
    delivery_id: str,
    courier_speed_kmh: float | None = None,
    courier_eta_at: str | None = None,
    action_id: str | None = None,
) -> dict:
    """Writes the assignment onto the order (idempotent PUT, so the HTTP client retries it), with the
    courier's speed and arrival at the restaurant for the order's estimates. With an operator's
    `action_id`, the order service also settles that action's audit entry `applied` and answers
    whether it did (`action_settled`)."""
    response = internal_request(
        "order",
        "PUT",
        f"/internal/orders/{order_id}/courier",
        json={
            "courier_id": courier_id,
            "delivery_id": delivery_id,
            "courier_speed_kmh": courier_speed_kmh,
            "courier_eta_at": courier_eta_at,
            **({"action_id": action_id} if action_id else {}),
        },
    )
    raise_for_upstream(response, "order")
    return response.json()


def order_unproject_courier(*, order_id: str, delivery_id: str) -> dict:
    """Removes a courier from the order if it still names `delivery_id` (idempotent)."""
    response = internal_request(
        "order", "DELETE", f"/internal/orders/{order_id}/courier", params={"delivery_id": delivery_id}
    )
    raise_for_upstream(response, "order")
    return response.json()


def order_revoke_courier(*, order_id: str, delivery_id: str) -> dict:
    """An operator takes the order from its courier: the order service revokes the delivery for good
    and forgets it unless the order was picked up first (idempotent PUT); answers the order."""
    response = internal_request(
        "order", "PUT", f"/internal/orders/{order_id}/courier/revoke", json={"delivery_id": delivery_id}
    )
    raise_for_upstream(response, "order")
    return response.json()


def audit_record(
    *, action: dict, outcome: str, error_code: str | None = None, error_message: str | None = None
) -> dict | None:
    """Appends an operator action to the audit log, which the order service keeps (orders/operators.py):
    `pending` before it is applied, or `refused`. Idempotent (PUT by the action's id). Answers the
    order as its owner has it now (None: no such order), read after the entry was written."""
    body = {key: action[key] for key in ("operator_id", "action", "order_id", "courier_id", "reason")}
    body["at"] = action["at"].isoformat()
    response = internal_request(
        "order",
        "PUT",
        f"/internal/operator/actions/{action['id']}",
        json={**body, "outcome": outcome, "error_code": error_code, "error_message": error_message},
    )
    raise_for_upstream(response, "order")
    return response.json().get("order")


def audit_settle(*, action_id: str, outcome: str, error_code: str | None = None, error_message: str | None = None):
    """Writes the outcome of a pending audit entry, once (the same again is a retry, answered 200)."""
    response = internal_request(
        "order",
        "PUT",
        f"/internal/operator/actions/{action_id}/outcome",
        json={"outcome": outcome, "error_code": error_code, "error_message": error_message},
    )
    raise_for_upstream(response, "order")


def order_courier_etas(etas: list[dict]) -> None:
    """Where couriers on a delivery will be when: the order service re-estimates the arrival."""
    for start in range(0, len(etas), 1000):
        response = internal_request(
            "order", "POST", "/internal/orders/courier-etas", json={"etas": etas[start : start + 1000]}
        )
        raise_for_upstream(response, "order")


def orders_by_ids(*, order_ids: list[str]) -> dict[str, dict]:
    """The orders as the order service has them now, by id; unknown ids are absent."""
    found: dict[str, dict] = {}
    for start in range(0, len(order_ids), 500):
        response = internal_request(
            "order", "POST", "/internal/orders/lookup", json={"ids": order_ids[start : start + 500]}
        )
        raise_for_upstream(response, "order")
        found.update({o["id"]: o for o in response.json()["results"]})
    return found


def orders_with_courier(*, page_size: int = 200) -> list[dict]:
    """Every live order that names a courier, read page by page."""
    orders: list[dict] = []
    after = None
    while True:
        params = {"limit": page_size, **({"after": after} if after else {})}
        response = internal_request("order", "GET", "/internal/orders/with-courier", params=params)
        raise_for_upstream(response, "order")
        page = response.json()["results"]
        orders.extend(page)
        if len(page) < page_size:
            return orders
        after = page[-1]["id"]


def order_transition(*, order_id: str, status: str, courier_id: str) -> dict:
    response = internal_request(
        "order",
        "POST",
        f"/internal/orders/{order_id}/transition",
        json={"status": status, "actor_type": "courier", "actor_id": courier_id},
    )
    raise_for_upstream(response, "order")
    return response.json()


def auth_courier(*, courier_id: str) -> dict:
    response = internal_request("auth", "GET", f"/internal/accounts/courier/{courier_id}")
    raise_for_upstream(response, "auth")
    return response.json()
