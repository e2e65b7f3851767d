"""Restaurant routes: public browsing, owner-only changes, internal routes for the order service."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import page_of, page_request, paginated_response
from common.permissions import IsRestaurantUser, IsService
from common.serializers import valid_body
from common.viewsets import ViewSet
from restaurants import selectors, services
from restaurants.serializers import (
    MenuItemInput,
    MenuItemOutput,
    MenuOutput,
    NearbyRestaurantOutput,
    OrderDelayInput,
    OrderFilter,
    OrderQuoteInput,
    OrdersPlacedInput,
    OrderStatusInput,
    PauseInput,
    RestaurantFilter,
    RestaurantInput,
    RestaurantOutput,
)


def _json_text_response(request, text: str):
    """Cached JSON goes out as it is stored; the browsable API still gets its page."""
    if isinstance(request.accepted_renderer, JSONRenderer):
        return HttpResponse(text, content_type="application/json")
    return Response(json.loads(text))


class RestaurantViewSet(ViewSet):
    """`/restaurants`: anyone may browse; creating and changing need the owner's restaurant token
    (ownership is checked in services)."""

    filter_serializer_class = RestaurantFilter
    serializer_class = RestaurantOutput
    serializer_classes = {
        "create": RestaurantInput,
        "update": RestaurantInput,
        "partial_update": RestaurantInput,
        "pause": PauseInput,
    }
    lookup_url_kwarg = "restaurant_id"

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsRestaurantUser()]

    @extend_schema(parameters=[RestaurantFilter], responses={200: page_of(NearbyRestaurantOutput)})
    def list(self, request):
        wanted = self.filters()
        cuisines = [c.strip().lower() for c in wanted.get("cuisine", "").split(",") if c.strip()]
        page = page_request(request)
        near = wanted.get("near")
        if wanted.get("address_id"):
            near = selectors.customer_location(user=request.user, address_id=wanted["address_id"])
        count, restaurants = selectors.restaurants_browse(
            text=wanted.get("q", "").strip()[:100] or None,
            cuisines=cuisines[:20],
            open_now=wanted["open_now"],
            page=page,
            near=near,
            owner_id=selectors.owner_browsing(user=request.user) if wanted["mine"] else None,
        )
        output = NearbyRestaurantOutput if near else RestaurantOutput
        return paginated_response(request, page, count=count, results=output(restaurants, many=True).data)

    @extend_schema(responses={201: RestaurantOutput})
    def create(self, request):
        restaurant = services.restaurant_create(owner_id=request.user.id, data=self.validated())
        return Response(RestaurantOutput(restaurant).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, restaurant_id: str):
        return Response(RestaurantOutput(selectors.restaurant_get(restaurant_id=restaurant_id)).data)

    @extend_schema(responses={200: RestaurantOutput})
    def update(self, request, restaurant_id: str, partial: bool = False):
        restaurant = services.restaurant_update(
            restaurant_id=restaurant_id, owner_id=request.user.id, changes=self.validated(partial=partial)
        )
        return Response(RestaurantOutput(restaurant).data)

    @extend_schema(responses={200: RestaurantOutput})
    def partial_update(self, request, restaurant_id: str):
        return self.update(request, restaurant_id, partial=True)

    @extend_schema(methods=["POST"], request=PauseInput, responses={200: RestaurantOutput})
    @extend_schema(methods=["DELETE"], request=None, responses={200: RestaurantOutput})
    @action(detail=True, methods=["post", "delete"])
    def pause(self, request, restaurant_id: str):
        """POST: take no new orders for `minutes` (1-720); they resume by themselves then. DELETE:
        resume now. The owner only."""
        if request.method == "DELETE":
            restaurant = services.restaurant_resume(restaurant_id=restaurant_id, owner_id=request.user.id)
        else:
            restaurant = services.restaurant_pause(
                restaurant_id=restaurant_id, owner_id=request.user.id, minutes=self.validated()["minutes"]
            )
        return Response(RestaurantOutput(restaurant).data)


class PopularView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: page_of(RestaurantOutput)})
    def get(self, request):
        return popular_read(request, None)


class MenuView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: MenuOutput})
    def get(self, request, restaurant_id: str):
        return menu_read(request, None, restaurant_id=restaurant_id)


# The answers of the two hottest reads, given by their views and, before Django's handler, by their
# fast paths (FAST_ROUTES).


def popular_read(request, data: None):
    return _json_text_response(request, selectors.restaurants_popular_json())


def menu_read(request, data: None, *, restaurant_id: str):
    return _json_text_response(request, selectors.menu_json(restaurant_id=restaurant_id))


class MenuItemViewSet(ViewSet):
    """`/restaurants/{id}/menu/items`: the owner adds, changes and removes menu items."""

    permission_classes = [IsRestaurantUser]
    serializer_class = MenuItemInput
    lookup_url_kwarg = "item_id"

    @extend_schema(responses={201: MenuItemOutput})
    def create(self, request, restaurant_id: str):
        item = services.menu_item_create(restaurant_id=restaurant_id, owner_id=request.user.id, data=self.validated())
        return Response(MenuItemOutput(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: MenuItemOutput})
    def update(self, request, restaurant_id: str, item_id: str, partial: bool = False):
        item = services.menu_item_update(
            restaurant_id=restaurant_id,
            item_id=item_id,
            owner_id=request.user.id,
            changes=self.validated(partial=partial),
        )
        return Response(MenuItemOutput(item).data)

    @extend_schema(responses={200: MenuItemOutput})
    def partial_update(self, request, restaurant_id: str, item_id: str):
        return self.update(request, restaurant_id, item_id, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, restaurant_id: str, item_id: str):
        services.menu_item_delete(restaurant_id=restaurant_id, item_id=item_id, owner_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RestaurantOrderViewSet(ViewSet):
    """`/restaurants/{id}/orders`: the owner's view of the restaurant's orders (kept by the order
    service), and moving one along its lifecycle."""

    permission_classes = [IsRestaurantUser]
    filter_serializer_class = OrderFilter
    serializer_class = OrderStatusInput
    serializer_classes = {"transition": OrderStatusInput, "delay": OrderDelayInput}
    lookup_url_kwarg = "order_id"

    @extend_schema(parameters=[OrderFilter], responses={200: OpenApiTypes.OBJECT})
    def list(self, request, restaurant_id: str):
        page = page_request(request)
        count, orders = selectors.restaurant_orders(
            restaurant_id=restaurant_id,
            owner_id=request.user.id,
            status=self.filters().get("status") or None,
            page=page,
        )
        return paginated_response(request, page, count=count, results=orders)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="status")
    def transition(self, request, restaurant_id: str, order_id: str):
        data = self.validated()
        order = services.restaurant_order_transition(
            restaurant_id=restaurant_id,
            order_id=order_id,
            owner_id=request.user.id,
            status=data["status"],
            ready_in_min=data.get("ready_in_min"),
        )
        return Response(order)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def delay(self, request, restaurant_id: str, order_id: str):
        """The kitchen runs late: the food will be ready `minutes` later (while accepted or preparing)."""
        order = services.restaurant_order_delay(
            restaurant_id=restaurant_id,
            order_id=order_id,
            owner_id=request.user.id,
            minutes=self.validated()["minutes"],
        )
        return Response(order)


class OrderQuoteView(APIView):
    """Internal: current names, prices and availability of menu items, for placing an order."""

    permission_classes = [IsService]

    @extend_schema(request=OrderQuoteInput, exclude=True)
    def post(self, request, restaurant_id: str):
        data = valid_body(OrderQuoteInput, request)
        return Response(selectors.order_quote(restaurant_id=restaurant_id, item_ids=data["menu_item_ids"]))


class OwnerCheckView(APIView):
    """Internal: whether a restaurant user owns the restaurant (the order service's kitchen board
    opens only for its owner): 200, or the same 404/403 the restaurant's own routes answer."""

    permission_classes = [IsService]

    @extend_schema(exclude=True)
    def get(self, request, restaurant_id: str, owner_id: str):
        restaurant = services.restaurant_owned_by(restaurant_id=restaurant_id, owner_id=owner_id)
        return Response({"restaurant_id": restaurant_id, "owner_id": owner_id, "name": restaurant["name"]})


class OrderPlacedView(APIView):
    """Internal: the order service counts a placed order towards the popular list."""

    permission_classes = [IsService]

    @extend_schema(request=OrdersPlacedInput, exclude=True)
    def post(self, request, restaurant_id: str):
        count = valid_body(OrdersPlacedInput, request)["count"]
        services.restaurant_count_orders(restaurant_id=restaurant_id, count=count)
        return Response(status=status.HTTP_204_NO_CONTENT)
