"""Calls from the customer service to other services."""

from __future__ import annotations

from common.errors import NotFound, ServiceUnavailable
from common.http import service_client, service_token


def auth_account(*, customer_id: str) -> dict:
    response = service_client("auth").request(
        "GET", f"/internal/accounts/customer/{customer_id}", bearer=service_token.get()
    )
    if response.status_code == 401:
        service_token.clear()
    if response.status_code == 404:
        raise NotFound("No customer account for this token.")
    if response.status_code != 200:
        raise ServiceUnavailable(
            "The auth service could not be asked for the account.", details={"status": response.status_code}
        )
    return response.json()


def restaurants_open(*, cuisines: list[str], page: int, page_size: int) -> dict:
    """One page of open restaurants of these cuisines, from the restaurant service's public browse."""
    params = {"open_now": "true", "page": page, "page_size": page_size}
    if cuisines:
        params["cuisine"] = ",".join(cuisines)
    response = service_client("restaurant").request("GET", "/restaurants", params=params)
    if response.status_code == 404:
        return {"count": 0, "results": []}  # a page past the end
    if response.status_code != 200:
        raise ServiceUnavailable(
            "The restaurant service could not be asked for restaurants.", details={"status": response.status_code}
        )
    return response.json()
