"""The pages for the people who make the orders move (ARCHITECTURE 5, "In a browser"): the
customer's tracking page, the kitchen's board and back office, the courier's task page, and the
start page that sends each person to theirs. The customer's shop is in pages/shop.py.

Server-rendered templates that show what the services answer and then what their live streams
send; the rules stay in the services (pages/access.py says who may open what).
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponseRedirect

from pages.access import answered, api, page, page_view, person

# Where each kind of person starts (a restaurant user: the first of their restaurants' back office).
STARTS = {"customer": "/shop/", "courier": "/couriers/me/app", "operator": "/operator/console"}


@page_view
async def home(request):
    """`GET /home`: each person to their own page (where signing in leads when no page asked for it)."""
    claims = person(request)
    kind = claims.get("user_type")
    if kind in STARTS:
        return HttpResponseRedirect(STARTS[kind])
    if kind == "restaurant":
        answer = await answered(request, claims, "restaurant", "/restaurants?mine=true&page_size=1")
        if answer["results"]:
            return HttpResponseRedirect(f"/restaurants/{answer['results'][0]['id']}/manage")
        return page(request, "pages/no_restaurant.html", {}, claims=claims)
    return HttpResponseRedirect("/")


@page_view
async def track(request, order_id: str):
    """`GET /orders/{id}/track`: the order's status as a timeline, its estimated arrival and a map
    with the restaurant, the address and the courier moving. For the order's parties."""
    claims = person(request)
    order = await answered(request, claims, "order", f"/orders/{quote(order_id, safe='')}")
    return page(request, "pages/track.html", {"order": order}, claims=claims)


async def _owned(request, restaurant_id: str) -> tuple[dict, dict, list]:
    """(claims, the restaurant, the owner's restaurants) when the signed-in user owns it; else the
    page is not shown (to the sign-in form, or refused as the API refuses)."""
    claims = person(request)
    rid = quote(restaurant_id, safe="")
    # The owner's order list answers who may see the restaurant's own pages: 403 not_owner, 404, or the orders.
    await answered(request, claims, "restaurant", f"/restaurants/{rid}/orders?page_size=1")
    restaurant = await answered(request, claims, "restaurant", f"/restaurants/{rid}")
    _status, mine = await api(request, "restaurant", "/restaurants?mine=true&page_size=50")
    return claims, restaurant, mine.get("results", [restaurant])


@page_view
async def board(request, restaurant_id: str):
    """`GET /restaurants/{rid}/board`: the kitchen's open orders by status, live, and whether new
    orders are paused. For the owner."""
    claims, restaurant, mine = await _owned(request, restaurant_id)
    return page(request, "pages/board.html", {"restaurant": restaurant, "mine": mine}, claims=claims)


@page_view
async def manage(request, restaurant_id: str):
    """`GET /restaurants/{rid}/manage`: the kitchen's back office: preparation time, fee, radius, the
    menu (added, edited, priced, sold out and back) and pausing new orders. For the owner."""
    claims, restaurant, mine = await _owned(request, restaurant_id)
    _status, menu = await api(request, "restaurant", f"/restaurants/{quote(restaurant_id, safe='')}/menu")
    context = {"restaurant": restaurant, "menu": menu.get("items", []), "mine": mine}
    return page(request, "pages/manage.html", context, claims=claims)


@page_view
async def courier_app(request):
    """`GET /couriers/me/app`: availability, the delivery at hand on a map, picked up / delivered,
    and sharing the browser's position. For couriers."""
    claims = person(request)
    courier = await answered(request, claims, "delivery", "/couriers/me")
    return page(request, "pages/courier.html", {"courier": courier}, claims=claims)


@page_view
async def operator_console(request):
    """`GET /operator/console`: every courier and live order on a map, the orders needing attention
    first with their reasons, each courier's deliveries, and assign, unassign and cancel with a
    reason, live. For operators (refused as the operators' API refuses everyone else)."""
    claims = person(request)
    await answered(request, claims, "order", "/operator/orders?page_size=1")
    return page(request, "pages/console.html", {}, claims=claims)
