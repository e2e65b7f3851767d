"""The customer's shop (ARCHITECTURE 5, "In a browser"): where to deliver, who delivers there, a
restaurant's menu with a basket and its live quote, and the customer's orders, live.

Each view renders what the services answer to the signed-in customer; the scripts then call the
same API (addresses, browsing by address, quotes, placing with an `Idempotency-Key`) as any client.
"""

from __future__ import annotations

from urllib.parse import quote

from pages.access import answered, page, page_view, person


async def _customer(request) -> tuple[dict, list]:
    """(claims, the customer's addresses) for a signed-in customer; else the page is not shown."""
    claims = person(request)
    addresses = await answered(request, claims, "customer", "/customers/me/addresses?page_size=50")
    return claims, addresses["results"]


@page_view
async def shop(request):
    """`GET /shop/`: choose or add a delivery address, then the restaurants that deliver there."""
    claims, addresses = await _customer(request)
    return page(request, "pages/shop.html", {"addresses": addresses}, claims=claims)


@page_view
async def shop_restaurant(request, restaurant_id: str):
    """`GET /shop/restaurants/{rid}`: the menu, the basket (kept in the browser) and its live quote."""
    claims, addresses = await _customer(request)
    rid = quote(restaurant_id, safe="")
    restaurant = await answered(request, claims, "restaurant", f"/restaurants/{rid}")
    menu = await answered(request, claims, "restaurant", f"/restaurants/{rid}/menu")
    context = {"restaurant": restaurant, "menu": menu, "addresses": addresses}
    return page(request, "pages/shop_restaurant.html", context, claims=claims)


@page_view
async def shop_orders(request):
    """`GET /shop/orders`: the customer's orders, newest first, their status live."""
    claims = person(request)
    orders = await answered(request, claims, "order", "/customers/me/orders?page_size=20")
    return page(request, "pages/shop_orders.html", {"orders": orders["results"]}, claims=claims)
