"""Reads of the customer service that combine the profile with other services' data."""

from __future__ import annotations

from common.pagination import PageRequest
from profiles import clients, services


def customer_feed(*, customer_id: str, page: PageRequest) -> tuple[int, list[dict]]:
    """Open restaurants of the customer's preferred cuisines (all open ones when none are set)."""
    profile = services.profile_get_or_create(customer_id=customer_id)
    cuisines = [c.strip().lower() for c in profile.get("preferences", {}).get("cuisines", []) if c.strip()]
    result = clients.restaurants_open(cuisines=cuisines, page=page.number, page_size=page.size)
    return result["count"], result["results"]


def customer_orders(*, customer_id: str, page: PageRequest) -> tuple[int, list[dict]]:
    """The customer's orders, newest first, from the order service."""
    result = clients.orders_of_customer(customer_id=customer_id, page=page.number, page_size=page.size)
    return result["count"], result["results"]
