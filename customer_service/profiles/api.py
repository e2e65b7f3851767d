"""Customer routes: profile and addresses of the signed-in customer only."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from common.idempotency import idempotency_key
from common.pagination import page_of, page_request, paginated_response
from common.permissions import IsCustomer, IsService
from common.viewsets import ViewSet
from profiles import selectors, services
from profiles.serializers import AddressSerializer, PlaceOrderInput, ProfileOutput, ProfileUpdateInput


class MeViewSet(ViewSet):
    """`/customers/me`: the signed-in customer's profile, order history and feed."""

    title = "My profile"
    permission_classes = [IsCustomer]
    serializer_class = ProfileOutput
    serializer_classes = {
        "update": ProfileUpdateInput,
        "partial_update": ProfileUpdateInput,
        "orders": PlaceOrderInput,
        "quote": PlaceOrderInput,
    }

    def retrieve(self, request):
        return Response(ProfileOutput(services.profile_get_or_create(customer_id=request.user.id)).data)

    @extend_schema(request=ProfileUpdateInput, responses={200: ProfileOutput})
    def update(self, request, partial: bool = False):
        profile = services.profile_update(customer_id=request.user.id, changes=self.validated(partial=partial))
        return Response(ProfileOutput(profile).data)

    @extend_schema(request=ProfileUpdateInput, responses={200: ProfileOutput})
    def partial_update(self, request):
        return self.update(request, partial=True)

    @extend_schema(methods=["GET"], responses={200: OpenApiTypes.OBJECT})
    @extend_schema(methods=["POST"], request=PlaceOrderInput, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get", "post"])
    def orders(self, request):
        """The customer's order history, and placing an order (`Idempotency-Key` makes retries safe)."""
        if request.method == "GET":
            page = page_request(request)
            count, orders = selectors.customer_orders(customer_id=request.user.id, page=page)
            for order in orders:  # the tracking page's link, on the public host this request came to
                if str(order.get("track_url", "")).startswith("/"):
                    order["track_url"] = request.build_absolute_uri(order["track_url"])
            return paginated_response(request, page, count=count, results=orders)
        key = idempotency_key(request)
        order, created = services.order_place(customer_id=request.user.id, idempotency_key=key, **self.validated())
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(order, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(request=PlaceOrderInput, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="orders/quote")
    def quote(self, request):
        """What this order would cost and when it would arrive, before placing it: priced and checked
        exactly as placement does, with the same errors; nothing is stored."""
        return Response(services.order_quote(customer_id=request.user.id, **self.validated()))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True)
    def feed(self, request):
        """Open restaurants matching the customer's preferred cuisines, from the restaurant service."""
        page = page_request(request)
        count, restaurants = selectors.customer_feed(customer_id=request.user.id, page=page)
        return paginated_response(request, page, count=count, results=restaurants)


class AddressViewSet(ViewSet):
    """`/customers/me/addresses`: the signed-in customer's delivery addresses."""

    permission_classes = [IsCustomer]
    serializer_class = AddressSerializer
    lookup_url_kwarg = "address_id"

    @extend_schema(responses={200: page_of(AddressSerializer)})
    def list(self, request):
        page = page_request(request)
        addresses = services.addresses_list(customer_id=request.user.id)
        return paginated_response(
            request,
            page,
            count=len(addresses),
            results=AddressSerializer(addresses[page.skip : page.skip + page.size], many=True).data,
        )

    def create(self, request):
        address = services.address_add(customer_id=request.user.id, data=self.validated())
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, address_id: str):
        return Response(
            AddressSerializer(services.address_get(customer_id=request.user.id, address_id=address_id)).data
        )

    def update(self, request, address_id: str, partial: bool = False):
        address = services.address_update(
            customer_id=request.user.id, address_id=address_id, changes=self.validated(partial=partial)
        )
        return Response(AddressSerializer(address).data)

    def partial_update(self, request, address_id: str):
        return self.update(request, address_id, partial=True)

    def destroy(self, request, address_id: str):
        services.address_delete(customer_id=request.user.id, address_id=address_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InternalAddressView(APIView):
    """Internal: one of a customer's addresses (the order service's placement when the address is
    not published yet, the restaurant service's "who delivers to me")."""

    permission_classes = [IsService]

    @extend_schema(exclude=True)
    def get(self, request, customer_id: str, address_id: str):
        address = services.delivery_address(customer_id=customer_id, address_id=address_id)
        return Response(address)
