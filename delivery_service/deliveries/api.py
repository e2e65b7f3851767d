"""Courier and delivery routes, and the internal routes the order service calls."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import page_of, page_request, paginated_response
from common.permissions import IsCourier, IsOperator, IsService
from common.serializers import valid_body
from common.viewsets import ViewSet
from deliveries import console, dispatch, operators, planner, routes, services
from deliveries.serializers import (
    AssignInput,
    CourierOutput,
    CourierUpdateInput,
    DeliveryFilter,
    DeliveryOutput,
    DeliveryStatusInput,
    LocationInput,
    OperatorCourierOutput,
    OperatorCouriersFilter,
    OrdersMovedInput,
    ReasonInput,
    ReleaseInput,
)


def _render_courier(courier: dict) -> dict:
    location = services.courier_location(courier)
    return CourierOutput(
        {
            **courier,
            "active_order_id": services.courier_active_order(courier_id=courier["_id"]),
            "location": location,
            "route": routes.courier_route(courier=courier, location=location),
        }
    ).data


class CourierMeViewSet(ViewSet):
    """`/couriers/me`: the signed-in courier's profile and availability, and their position."""

    title = "My courier profile"
    permission_classes = [IsCourier]
    serializer_class = CourierOutput
    serializer_classes = {"update": CourierUpdateInput, "partial_update": CourierUpdateInput, "location": LocationInput}

    def retrieve(self, request):
        return Response(_render_courier(services.courier_get_or_create(courier_id=request.user.id)))

    @extend_schema(request=CourierUpdateInput, responses={200: CourierOutput})
    def update(self, request, partial: bool = False):
        # Every field is optional; from a form (the browsable API's), an unticked box is `false`.
        courier = services.courier_update(courier_id=request.user.id, changes=self.validated(partial=partial))
        return Response(_render_courier(courier))

    @extend_schema(request=CourierUpdateInput, responses={200: CourierOutput})
    def partial_update(self, request):
        return self.update(request, partial=True)

    @extend_schema(responses={204: None})
    @action(detail=True, methods=["post"])
    def location(self, request):
        """The courier's current position: the nearest free courier gets the next order near them,
        and the followers of their order see them coming."""
        return async_to_sync(position_reported)(request, self.validated())


async def position_reported(request, data: dict) -> Response:
    """A position report's answer, given by the view and, before Django's handler, by its fast path
    (FAST_ROUTES), where it takes no thread: one Redis script, and the followers told."""
    await services.courier_report_location(courier_id=request.user.id, lat=data["lat"], lng=data["lng"])
    return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryViewSet(ViewSet):
    """`/deliveries`: the signed-in courier's own deliveries, and moving one along."""

    permission_classes = [IsCourier]
    filter_serializer_class = DeliveryFilter
    serializer_class = DeliveryOutput
    serializer_classes = {"status": DeliveryStatusInput}
    lookup_url_kwarg = "delivery_id"

    @extend_schema(parameters=[DeliveryFilter], responses={200: page_of(DeliveryOutput)})
    def list(self, request):
        page = page_request(request)
        count, deliveries = services.deliveries_for_courier(
            courier_id=request.user.id,
            status=self.filters().get("status") or None,
            skip=page.skip,
            limit=page.size,
        )
        return paginated_response(request, page, count=count, results=DeliveryOutput(deliveries, many=True).data)

    def retrieve(self, request, delivery_id: str):
        return Response(DeliveryOutput(services.delivery_get(delivery_id=delivery_id, courier_id=request.user.id)).data)

    @extend_schema(responses={200: DeliveryOutput})
    @action(detail=True, methods=["post"])
    def status(self, request, delivery_id: str):
        delivery = services.delivery_advance(
            delivery_id=delivery_id, courier_id=request.user.id, target=self.validated()["status"]
        )
        return Response(DeliveryOutput(delivery).data)


class OperatorCourierViewSet(ViewSet):
    """`/operator/couriers`: every courier as operators see them, with position, deliveries and route."""

    title = "Couriers (operators)"
    permission_classes = [IsOperator]
    filter_serializer_class = OperatorCouriersFilter
    serializer_class = OperatorCourierOutput

    @extend_schema(parameters=[OperatorCouriersFilter], responses={200: page_of(OperatorCourierOutput)})
    def list(self, request):
        page = page_request(request)
        count, couriers = operators.operator_couriers(available=self.filters()["available"], page=page)
        return paginated_response(request, page, count=count, results=OperatorCourierOutput(couriers, many=True).data)


class OperatorAssignmentViewSet(ViewSet):
    """`/operator/orders/{id}/assign` and `/unassign`: who delivers an order, decided by hand, with a
    reason; dispatch respects it (deliveries/manual.py), the audit log keeps it."""

    title = "Assignments (operators)"
    permission_classes = [IsOperator]
    serializer_class = DeliveryOutput
    serializer_classes = {"assign": AssignInput, "unassign": ReasonInput}
    lookup_url_kwarg = "order_id"

    @extend_schema(request=AssignInput, responses={200: DeliveryOutput})
    @action(detail=True, methods=["post"])
    def assign(self, request, order_id: str):
        """Gives the order to this courier (from another, if it had one); 409 `courier_unavailable`
        for a courier off duty or at capacity, `illegal_transition` for an order picked up or finished."""
        data = self.validated()
        delivery = operators.operator_order_assign(
            order_id=order_id, courier_id=data["courier_id"], operator_id=request.user.id, reason=data["reason"]
        )
        return Response(DeliveryOutput(delivery).data)

    @extend_schema(
        request=ReasonInput, responses={200: OpenApiResponse(description="the order, as the order service has it now")}
    )
    @action(detail=True, methods=["post"])
    def unassign(self, request, order_id: str):
        """Takes the order from its courier: it waits again, never for them; their delivery is cancelled."""
        order = operators.operator_order_unassign(
            order_id=order_id, operator_id=request.user.id, reason=self.validated()["reason"]
        )
        return Response(order)


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
        outcome = dispatch.release(order_id=valid_body(ReleaseInput, request)["order_id"])
        return Response({"outcome": outcome.value})


class InternalOrderStatusView(APIView):
    """Internal: an order with a courier moved; its delivery mirrors the status for the courier's feed."""

    permission_classes = [IsService]

    @extend_schema(request=OrdersMovedInput, exclude=True)
    def post(self, request):
        services.deliveries_mirror_orders(orders=valid_body(OrdersMovedInput, request)["orders"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class InternalReconcileView(APIView):
    """Internal: one reconciliation pass now, for operators and tests; answers what it did."""

    permission_classes = [IsService]

    @extend_schema(request=None, exclude=True)
    def post(self, request):
        report = planner.reconcile()
        return Response(
            {
                "assignments_checked": report.assignments_checked,
                "orders_checked": report.orders_checked,
                "skipped": report.skipped,
                "dispatched": [o.value for o in report.dispatched],
            }
        )


class InternalConsoleCouriersView(APIView):
    """Internal: a page of couriers as the operators' console shows them, `?after=` the last id of
    the page before, answering `next` for the page after (null: the round ended). The order
    service's stream re-reads a page at each heartbeat: common/contracts/operator_console.py."""

    permission_classes = [IsService]

    @extend_schema(request=None, exclude=True)
    def get(self, request):
        after = request.query_params.get("after") or None
        couriers, following = console.console_couriers_page(after=after)
        return Response({"couriers": couriers, "next": following})
