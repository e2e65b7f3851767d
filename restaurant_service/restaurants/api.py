"""Restaurant routes: public browsing, owner-only changes, internal routes for the order service."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import InvalidInput
from common.pagination import page_of, page_request, paginated_response
from common.permissions import IsRestaurantUser, IsService
from restaurants import selectors, services
from restaurants.serializers import (
    ORDER_STATES,
    MenuItemInput,
    MenuItemOutput,
    MenuOutput,
    OrderQuoteInput,
    OrdersPlacedInput,
    OrderStatusInput,
    RestaurantInput,
    RestaurantOutput,
)


def _json_text_response(request, text: str):
    """Cached JSON goes out as it is stored; the browsable API still gets its page."""
    if isinstance(request.accepted_renderer, JSONRenderer):
        return HttpResponse(text, content_type="application/json")
    return Response(json.loads(text))


def _valid(serializer_class, request, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _PublicReadOwnerWrite(APIView):
    """Anyone may read; writing needs a restaurant user's token (ownership is checked in services)."""

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsRestaurantUser()]


class RestaurantListView(_PublicReadOwnerWrite):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="part of the name, any case"),
            OpenApiParameter("cuisine", str, description="one cuisine, or several separated by commas"),
            OpenApiParameter("open_now", bool),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={200: page_of(RestaurantOutput)},
    )
    def get(self, request):
        params = request.query_params
        cuisines = [c.strip().lower() for c in params.get("cuisine", "").split(",") if c.strip()]
        page = page_request(request)
        count, restaurants = selectors.restaurants_browse(
            text=params.get("q", "").strip()[:100] or None,
            cuisines=cuisines[:20],
            open_now=params.get("open_now", "").lower() in ("1", "true", "yes"),
            page=page,
        )
        return paginated_response(request, page, count=count, results=RestaurantOutput(restaurants, many=True).data)

    @extend_schema(request=RestaurantInput, responses={201: RestaurantOutput})
    def post(self, request):
        restaurant = services.restaurant_create(owner_id=request.user.id, data=_valid(RestaurantInput, request))
        return Response(RestaurantOutput(restaurant).data, status=status.HTTP_201_CREATED)


class PopularView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: page_of(RestaurantOutput)})
    def get(self, request):
        return _json_text_response(request, selectors.restaurants_popular_json())


class RestaurantDetailView(_PublicReadOwnerWrite):
    @extend_schema(responses={200: RestaurantOutput})
    def get(self, request, restaurant_id: str):
        return Response(RestaurantOutput(selectors.restaurant_get(restaurant_id=restaurant_id)).data)

    @extend_schema(request=RestaurantInput, responses={200: RestaurantOutput})
    def patch(self, request, restaurant_id: str):
        restaurant = services.restaurant_update(
            restaurant_id=restaurant_id,
            owner_id=request.user.id,
            changes=_valid(RestaurantInput, request, partial=True),
        )
        return Response(RestaurantOutput(restaurant).data)


class MenuView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: MenuOutput})
    def get(self, request, restaurant_id: str):
        return _json_text_response(request, selectors.menu_json(restaurant_id=restaurant_id))


class MenuItemListView(APIView):
    permission_classes = [IsRestaurantUser]

    @extend_schema(request=MenuItemInput, responses={201: MenuItemOutput})
    def post(self, request, restaurant_id: str):
        item = services.menu_item_create(
            restaurant_id=restaurant_id, owner_id=request.user.id, data=_valid(MenuItemInput, request)
        )
        return Response(MenuItemOutput(item).data, status=status.HTTP_201_CREATED)


class MenuItemDetailView(APIView):
    permission_classes = [IsRestaurantUser]

    @extend_schema(request=MenuItemInput, responses={200: MenuItemOutput})
    def patch(self, request, restaurant_id: str, item_id: str):
        item = services.menu_item_update(
            restaurant_id=restaurant_id,
            item_id=item_id,
            owner_id=request.user.id,
            changes=_valid(MenuItemInput, request, partial=True),
        )
        return Response(MenuItemOutput(item).data)

    @extend_schema(responses={204: None})
    def delete(self, request, restaurant_id: str, item_id: str):
        services.menu_item_delete(restaurant_id=restaurant_id, item_id=item_id, owner_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RestaurantOrdersView(APIView):
    """The owner's view of the restaurant's orders (kept by the order service)."""

    permission_classes = [IsRestaurantUser]

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=ORDER_STATES)])
    def get(self, request, restaurant_id: str):
        wanted = request.query_params.get("status") or None
        if wanted and wanted not in ORDER_STATES:
            raise InvalidInput(details={"status": [f"One of: {', '.join(ORDER_STATES)}."]})
        page = page_request(request)
        count, orders = selectors.restaurant_orders(
            restaurant_id=restaurant_id, owner_id=request.user.id, status=wanted, page=page
        )
        return paginated_response(request, page, count=count, results=orders)


class RestaurantOrderStatusView(APIView):
    permission_classes = [IsRestaurantUser]

    @extend_schema(request=OrderStatusInput)
    def post(self, request, restaurant_id: str, order_id: str):
        order = services.restaurant_order_transition(
            restaurant_id=restaurant_id,
            order_id=order_id,
            owner_id=request.user.id,
            status=_valid(OrderStatusInput, request)["status"],
        )
        return Response(order)


class OrderQuoteView(APIView):
    """Internal: current names, prices and availability of menu items, for placing an order."""

    permission_classes = [IsService]

    @extend_schema(request=OrderQuoteInput, exclude=True)
    def post(self, request, restaurant_id: str):
        data = _valid(OrderQuoteInput, request)
        return Response(selectors.order_quote(restaurant_id=restaurant_id, item_ids=data["menu_item_ids"]))


class OrderPlacedView(APIView):
    """Internal: the order service counts a placed order towards the popular list."""

    permission_classes = [IsService]

    @extend_schema(request=OrdersPlacedInput, exclude=True)
    def post(self, request, restaurant_id: str):
        count = _valid(OrdersPlacedInput, request)["count"]
        services.restaurant_count_orders(restaurant_id=restaurant_id, count=count)
        return Response(status=status.HTTP_204_NO_CONTENT)
