"""Customer routes: profile and addresses of the signed-in customer only."""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import InvalidInput
from common.pagination import page_of, page_request, paginated_response
from common.permissions import IsCustomer
from profiles import selectors, services
from profiles.serializers import AddressSerializer, PlaceOrderInput, ProfileOutput, ProfileUpdateInput


class MeView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(responses={200: ProfileOutput})
    def get(self, request):
        return Response(ProfileOutput(services.profile_get_or_create(customer_id=request.user.id)).data)

    @extend_schema(request=ProfileUpdateInput, responses={200: ProfileOutput})
    def patch(self, request):
        serializer = ProfileUpdateInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = services.profile_update(customer_id=request.user.id, changes=serializer.validated_data)
        return Response(ProfileOutput(profile).data)


class AddressListView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(responses={200: page_of(AddressSerializer)})
    def get(self, request):
        page = page_request(request)
        addresses = services.addresses_list(customer_id=request.user.id)
        return paginated_response(
            request,
            page,
            count=len(addresses),
            results=AddressSerializer(addresses[page.skip : page.skip + page.size], many=True).data,
        )

    @extend_schema(request=AddressSerializer, responses={201: AddressSerializer})
    def post(self, request):
        serializer = AddressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = services.address_add(customer_id=request.user.id, data=serializer.validated_data)
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(responses={200: AddressSerializer})
    def get(self, request, address_id: str):
        return Response(
            AddressSerializer(services.address_get(customer_id=request.user.id, address_id=address_id)).data
        )

    @extend_schema(request=AddressSerializer, responses={200: AddressSerializer})
    def patch(self, request, address_id: str):
        serializer = AddressSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        address = services.address_update(
            customer_id=request.user.id, address_id=address_id, changes=serializer.validated_data
        )
        return Response(AddressSerializer(address).data)

    def delete(self, request, address_id: str):
        services.address_delete(customer_id=request.user.id, address_id=address_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedView(APIView):
    """Open restaurants matching the customer's preferred cuisines, from the restaurant service."""

    permission_classes = [IsCustomer]

    def get(self, request):
        page = page_request(request)
        count, restaurants = selectors.customer_feed(customer_id=request.user.id, page=page)
        return paginated_response(request, page, count=count, results=restaurants)


_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class OrdersView(APIView):
    """The customer's order history, and placing an order (`Idempotency-Key` makes retries safe)."""

    permission_classes = [IsCustomer]

    def get(self, request):
        page = page_request(request)
        count, orders = selectors.customer_orders(customer_id=request.user.id, page=page)
        return paginated_response(request, page, count=count, results=orders)

    @extend_schema(request=PlaceOrderInput)
    def post(self, request):
        key = request.headers.get("Idempotency-Key")
        if key is not None and not _IDEMPOTENCY_KEY.match(key):
            raise InvalidInput(
                "Idempotency-Key must be 1 to 200 visible ASCII characters.", details={"Idempotency-Key": ["invalid"]}
            )
        serializer = PlaceOrderInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        order, created = services.order_place(
            customer_id=request.user.id, idempotency_key=key, **serializer.validated_data
        )
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(order, status=status.HTTP_201_CREATED, headers=headers)
