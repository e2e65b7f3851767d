"""The customer's shop (ARCHITECTURE 5, "In a browser"): where to deliver, who delivers there, a
restaurant's menu with a basket and its live quote, and the customer's orders, live.

Each view renders what the services answer to the signed-in customer; the scripts then call the
same API (addresses, browsing by address, quotes, placing with an `Idempotency-Key`) as any client.
"""

from __future__ import annotations

from urllib.parse import quote

from pages.access import api, page, refused, signed_in, to_sign_in


async def _customer(request):
    """(claims, the customer's addresses) for a signed-in customer, else the answer to give instead."""
    claims = signed_in(request)
    if claims is None:
        return to_sign_in(request)
    status, addresses = await api(request, "customer", "/customers/me/addresses?page_size=50")
    if status != 200:
        return refused(request, status, addresses, claims=claims)
    return claims, addresses["results"]


async def shop(request):
    """`GET /shop/`: choose or add a delivery address, then the restaurants that deliver there."""
    customer = await _customer(request)
    if not isinstance(customer, tuple):
        return customer
    claims, addresses = customer
    return page(request, "pages/shop.html", {"addresses": addresses}, claims=claims)


async def shop_restaurant(request, restaurant_id: str):
    """`GET /shop/restaurants/{rid}`: the menu, the basket (kept in the browser) and its live quote."""
    customer = await _customer(request)
    if not isinstance(customer, tuple):
        return customer
    claims, addresses = customer
    rid = quote(restaurant_id, safe="")
    status, restaurant = await api(request, "restaurant", f"/restaurants/{rid}")
    if status != 200:
        return refused(request, status, restaurant, claims=claims)
    status, menu = await api(request, "restaurant", f"/restaurants/{rid}/menu")
    if status != 200:
        return refused(request, status, menu, claims=claims)
    context = {"restaurant": restaurant, "menu": menu, "addresses": addresses}
    return page(request, "pages/shop_restaurant.html", context, claims=claims)


async def shop_orders(request):
    """`GET /shop/orders`: the customer's orders, newest first, their status live."""
    claims = signed_in(request)
    if claims is None:
        return to_sign_in(request)
    status, orders = await api(request, "order", "/customers/me/orders?page_size=20")
    if status != 200:
        return refused(request, status, orders, claims=claims)
    return page(request, "pages/shop_orders.html", {"orders": orders["results"]}, claims=claims)
