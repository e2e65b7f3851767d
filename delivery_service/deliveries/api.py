"""Courier and delivery routes, and the internal routes the order service calls."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import InvalidInput
from common.pagination import page_of, page_request, paginated_response
from common.permissions import IsCourier, IsService
from deliveries import dispatch, services
from deliveries.serializers import (
    DELIVERY_STATES,
    CourierOutput,
    CourierUpdateInput,
    DeliveryOutput,
    DeliveryStatusInput,
    LocationInput,
    ReleaseInput,
)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _render_courier(courier: dict) -> dict:
    return CourierOutput(
        {
            **courier,
            "active_order_id": services.courier_active_order(courier_id=courier["_id"]),
            "location": courier.get("location"),
        }
    ).data


class CourierMeView(APIView):
    permission_classes = [IsCourier]

    @extend_schema(responses={200: CourierOutput})
    def get(self, request):
        return Response(_render_courier(services.courier_get_or_create(courier_id=request.user.id)))

    @extend_schema(request=CourierUpdateInput, responses={200: CourierOutput})
    def patch(self, request):
        courier = services.courier_update(courier_id=request.user.id, changes=_valid(CourierUpdateInput, request))
        return Response(_render_courier(courier))


class CourierLocationView(APIView):
    """The courier's current position: the nearest free courier gets the next order near them, and
    the followers of their order see them coming."""

    permission_classes = [IsCourier]

    @extend_schema(request=LocationInput, responses={204: None})
    def post(self, request):
        data = _valid(LocationInput, request)
        services.courier_report_location(courier_id=request.user.id, lat=data["lat"], lng=data["lng"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryListView(APIView):
    permission_classes = [IsCourier]

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=DELIVERY_STATES)], responses={200: page_of(DeliveryOutput)}
    )
    def get(self, request):
        wanted = request.query_params.get("status") or None
        if wanted and wanted not in DELIVERY_STATES:
            raise InvalidInput(details={"status": [f"One of: {', '.join(DELIVERY_STATES)}."]})
        page = page_request(request)
        count, deliveries = services.deliveries_for_courier(
            courier_id=request.user.id, status=wanted, skip=page.skip, limit=page.size
        )
        return paginated_response(request, page, count=count, results=DeliveryOutput(deliveries, many=True).data)


class DeliveryDetailView(APIView):
    permission_classes = [IsCourier]

    @extend_schema(responses={200: DeliveryOutput})
    def get(self, request, delivery_id: str):
        return Response(DeliveryOutput(services.delivery_get(delivery_id=delivery_id, courier_id=request.user.id)).data)


class DeliveryStatusView(APIView):
    permission_classes = [IsCourier]

    @extend_schema(request=DeliveryStatusInput, responses={200: DeliveryOutput})
    def post(self, request, delivery_id: str):
        data = _valid(DeliveryStatusInput, request)
        delivery = services.delivery_advance(delivery_id=delivery_id, courier_id=request.user.id, target=data["status"])
        return Response(DeliveryOutput(delivery).data)


class InternalDispatchView(APIView):
    """Internal: a kick (an order was placed); the pass runs in the background."""

    permission_classes = [IsService]

    @extend_schema(request=None, exclude=True)
    def post(self, request):
        dispatch.kick()
        return Response(status=status.HTTP_202_ACCEPTED)


class InternalReleaseView(APIView):
    """Internal: an order finished (cancelled, rejected); free its courier now."""

    permission_classes = [IsService]

    @extend_schema(request=ReleaseInput, exclude=True)
    def post(self, request):
        outcome = dispatch.release(order_id=_valid(ReleaseInput, request)["order_id"])
        return Response({"outcome": outcome.value})


class InternalReconcileView(APIView):
    """Internal: one reconciliation pass now, for operators and tests; answers what it did."""

    permission_classes = [IsService]

    @extend_schema(request=None, exclude=True)
    def post(self, request):
        report = dispatch.reconcile()
        return Response(
            {
                "assignments_checked": report.assignments_checked,
                "orders_checked": report.orders_checked,
                "skipped": report.skipped,
                "dispatched": [o.value for o in report.dispatched],
            }
        )
