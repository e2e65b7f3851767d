"""Order routes: the parties' public routes and the internal routes other services call."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from common.idempotency import idempotency_key
from common.pagination import page_of, page_request, paginated_response
from common.permissions import IsAuthenticatedParty, IsCustomer, IsOperator, IsService
from common.serializers import valid_body, valid_query
from common.viewsets import ViewSet
from orders import lifecycle, locations, operators, selectors, services
from orders.serializers import (
    ActionRecordInput,
    ActionSettleInput,
    AssignCourierInput,
    AuditEntryOutput,
    AuditFilter,
    CancelInput,
    CourierEtasInput,
    CustomerPlaceOrderInput,
    DelayInput,
    OperatorOrderOutput,
    OperatorOrdersFilter,
    OrderDetailOutput,
    OrderOutput,
    OrdersFilter,
    OrdersLookupInput,
    OrdersWithCourierFilter,
    PlaceOrderInput,
    QuoteInput,
    QuoteOutput,
    ReasonInput,
    TransitionInput,
    UnprojectCourierInput,
)


def _render(order: dict) -> dict:
    return OrderOutput(order).data


class OrderViewSet(ViewSet):
    """`/orders/{id}`: an order as its customer, restaurant or courier (or any operator) sees it,
    and cancelling it."""

    permission_classes = [IsAuthenticatedParty | IsOperator]
    serializer_class = OrderDetailOutput
    serializer_classes = {"cancel": CancelInput}
    lookup_url_kwarg = "order_id"

    def get_permissions(self):
        return [IsCustomer()] if self.action == "cancel" else super().get_permissions()

    def retrieve(self, request, order_id: str):
        order = selectors.order_get_for_party(
            order_id=order_id, actor_type=request.user.user_type, actor_id=request.user.id
        )
        rendered = OrderOutput(order, context={"request": request}).data
        return Response({**rendered, **locations.courier_location(order)})

    @extend_schema(request=None, responses={200: OrderOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request, order_id: str):
        order = services.order_transition(
            order_id=order_id, target=lifecycle.CANCELLED, actor_type=lifecycle.CUSTOMER, actor_id=request.user.id
        )
        return Response(OrderOutput(order, context={"request": request}).data)


class CustomerOrderViewSet(ViewSet):
    """`/customers/me/orders`: the signed-in customer's orders, placing one and pricing one first.
    The gateway routes these here, to the orders' owner: the customer's address and the restaurant's
    terms are read from what their owners published (common/contracts/customer_addresses.py, common/contracts/restaurant_terms.py),
    so placement is one service hop."""

    title = "My orders"
    permission_classes = [IsCustomer]
    serializer_class = OrderOutput
    serializer_classes = {"create": CustomerPlaceOrderInput, "quote": CustomerPlaceOrderInput}

    def list(self, request):
        """The customer's orders, newest first."""
        page = page_request(request)
        count, orders = selectors.orders_for_customer(customer_id=request.user.id, page=page)
        context = {"request": request}  # the tracking links on the public host this request came to
        return paginated_response(
            request, page, count=count, results=OrderOutput(orders, many=True, context=context).data
        )

    @extend_schema(request=CustomerPlaceOrderInput, responses={201: OrderOutput})
    def create(self, request):
        """Places an order (`Idempotency-Key` makes retries safe: the same key gives the first order)."""
        return order_placed(request, self.validated())

    @extend_schema(request=CustomerPlaceOrderInput, responses={200: QuoteOutput})
    @action(detail=False, methods=["post"])
    def quote(self, request):
        """What this order would cost and when it would arrive, before placing it: priced and checked
        exactly as placement does, with the same errors; nothing is stored."""
        return Response(
            QuoteOutput(services.customer_order_quote(customer_id=request.user.id, **self.validated())).data
        )


def order_placed(request, data: dict) -> Response:
    """Placement's answer to a customer's validated order, given by the view and, before Django's
    handler, by its fast path (FAST_ROUTES): the order placed, or the first one again for a key
    already used."""
    key = idempotency_key(request)
    request.get_host()  # the answer's tracking link is on it: a host Django refuses stores no order
    order, created = services.customer_order_place(customer_id=request.user.id, idempotency_key=key, **data)
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return Response(
        OrderOutput(order, context={"request": request}).data, status=status.HTTP_201_CREATED, headers=headers
    )


class OperatorOrderViewSet(ViewSet):
    """`/operator/orders`: the city's orders for operators, what needs attention first in mind, and
    cancelling one with a reason (ARCHITECTURE 4.6)."""

    title = "Orders (operators)"
    permission_classes = [IsOperator]
    filter_serializer_class = OperatorOrdersFilter
    serializer_class = OperatorOrderOutput
    serializer_classes = {"cancel": ReasonInput}
    lookup_url_kwarg = "order_id"

    @extend_schema(parameters=[OperatorOrdersFilter], responses={200: page_of(OperatorOrderOutput)})
    def list(self, request):
        """Live orders, oldest first, then those finished in the last hour, each with `attention`."""
        wanted = self.filters()
        page = page_request(request)
        count, orders = operators.operator_orders(
            status=wanted.get("status") or None, attention_only=wanted["attention"], page=page
        )
        context = {"request": request}
        return paginated_response(
            request, page, count=count, results=OperatorOrderOutput(orders, many=True, context=context).data
        )

    @extend_schema(request=ReasonInput, responses={200: OrderOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request, order_id: str):
        """Cancels the order (any state before picked_up; its courier is released), audited."""
        order = operators.operator_order_cancel(
            order_id=order_id, operator_id=request.user.id, reason=self.validated()["reason"]
        )
        return Response(OrderOutput(order, context={"request": request}).data)


class OperatorAuditViewSet(ViewSet):
    """`/operator/audit`: every operator action, newest first: who, what, on which order and
    courier, why, and whether it was applied or refused (with the error code)."""

    title = "Audit log (operators)"
    permission_classes = [IsOperator]
    filter_serializer_class = AuditFilter
    serializer_class = AuditEntryOutput

    @extend_schema(parameters=[AuditFilter], responses={200: page_of(AuditEntryOutput)})
    def list(self, request):
        wanted = self.filters()
        page = page_request(request)
        count, entries = operators.operator_actions(
            order_id=wanted.get("order_id"), operator_id=wanted.get("operator_id"), page=page
        )
        return paginated_response(request, page, count=count, results=AuditEntryOutput(entries, many=True).data)


class InternalOperatorActionView(APIView):
    """Internal: the delivery service's audit entries for the assigns and unassigns it applies.

    PUT appends the entry (idempotent: the same id again answers it as it is) and answers it with
    the order as it is now (`order`, null when there is none); PUT .../outcome writes its outcome
    once (so does the projection of an assign naming its `action_id`: InternalCourierView)."""

    permission_classes = [IsService]

    @extend_schema(request=ActionRecordInput, responses={200: AuditEntryOutput}, exclude=True)
    def put(self, request, action_id: str):
        entry, order = operators.action_begin(action_id=action_id, **valid_body(ActionRecordInput, request))
        return Response({**AuditEntryOutput(entry).data, "order": _render(order) if order else None})


class InternalOperatorActionOutcomeView(APIView):
    permission_classes = [IsService]

    @extend_schema(request=ActionSettleInput, responses={200: AuditEntryOutput}, exclude=True)
    def put(self, request, action_id: str):
        entry = operators.action_settle(action_id=action_id, **valid_body(ActionSettleInput, request))
        return Response(AuditEntryOutput(entry).data)


class InternalOrdersView(APIView):
    """Internal: place an order (customer service) and list orders of a customer or restaurant."""

    permission_classes = [IsService]

    @extend_schema(request=PlaceOrderInput, responses={201: OrderOutput}, exclude=True)
    def post(self, request):
        data = valid_body(PlaceOrderInput, request)
        order, created = services.order_place(
            customer_id=data["customer_id"],
            restaurant_id=data["restaurant_id"],
            items=data["items"],
            delivery_address=data["delivery_address"],
            idempotency_key=data.get("idempotency_key"),
        )
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(_render(order), status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(parameters=[OrdersFilter], exclude=True)
    def get(self, request):
        wanted = valid_query(OrdersFilter, request)
        page = page_request(request)
        if wanted.get("customer_id"):
            count, orders = selectors.orders_for_customer(customer_id=wanted["customer_id"], page=page)
        else:
            count, orders = selectors.orders_for_restaurant(
                restaurant_id=wanted["restaurant_id"],
                owner_id=wanted["owner_id"],
                status=wanted.get("status") or None,
                page=page,
            )
        return paginated_response(request, page, count=count, results=[_render(o) for o in orders])


class InternalTransitionView(APIView):
    """Internal: a restaurant (via the restaurant service) or courier (via the delivery service)
    moves an order."""

    permission_classes = [IsService]

    @extend_schema(request=TransitionInput, responses={200: OrderOutput}, exclude=True)
    def post(self, request, order_id: str):
        data = valid_body(TransitionInput, request)
        order = services.order_transition(
            order_id=order_id,
            target=data["status"],
            actor_type=data["actor_type"],
            actor_id=data["actor_id"],
            restaurant_id=data.get("restaurant_id"),
            ready_in_min=data.get("ready_in_min"),
        )
        return Response(_render(order))


class InternalDelayView(APIView):
    """Internal: the restaurant (through the restaurant service, which checked the owner) says an
    order will be late."""

    permission_classes = [IsService]

    @extend_schema(request=DelayInput, responses={200: OrderOutput}, exclude=True)
    def post(self, request, order_id: str):
        data = valid_body(DelayInput, request)
        order = services.order_delay(
            order_id=order_id, restaurant_id=data["restaurant_id"], owner_id=data["owner_id"], minutes=data["minutes"]
        )
        return Response(_render(order))


class InternalQuoteView(APIView):
    """Internal: what an order would cost and when it would arrive (the customer service's quote)."""

    permission_classes = [IsService]

    @extend_schema(request=QuoteInput, responses={200: QuoteOutput}, exclude=True)
    def post(self, request):
        data = valid_body(QuoteInput, request)
        return Response(QuoteOutput(services.order_quote(**data)).data)


class InternalCourierEtasView(APIView):
    """Internal: where couriers on a delivery will be when (the delivery service, from positions)."""

    permission_classes = [IsService]

    @extend_schema(request=CourierEtasInput, exclude=True)
    def post(self, request):
        moved = services.order_courier_etas(etas=valid_body(CourierEtasInput, request)["etas"])
        return Response({"moved": moved})


class InternalAwaitingCourierView(APIView):
    """Internal: orders that need a courier, oldest first (the delivery service's queue)."""

    permission_classes = [IsService]

    @extend_schema(exclude=True)
    def get(self, request):
        try:
            limit = max(1, min(int(request.query_params.get("limit", 20)), 100))
        except ValueError:
            limit = 20
        orders = selectors.orders_awaiting_courier(limit=limit)
        return Response({"results": [_render(o) for o in orders]})


class InternalCourierView(APIView):
    """Internal: the order's courier, a projection of the delivery service's assignment.

    PUT records it (idempotent: the same assignment again answers 200); with an operator's
    `action_id`, it also settles that action's audit entry `applied` and says so in
    `action_settled` (never refused for it: the assignment is the fact). DELETE forgets it if it
    still names `delivery_id` (idempotent; a no-op once the order names another delivery).
    """

    permission_classes = [IsService]

    @extend_schema(request=AssignCourierInput, responses={200: OrderOutput}, exclude=True)
    def put(self, request, order_id: str):
        data = valid_body(AssignCourierInput, request)
        order, settled = operators.order_project_courier_settling(order_id=order_id, **data)
        return Response({**_render(order), **({"action_settled": settled} if data["action_id"] else {})})

    post = put  # the earlier verb; kept for callers deployed before the change

    @extend_schema(responses={200: OrderOutput}, exclude=True)
    def delete(self, request, order_id: str):
        data = valid_query(UnprojectCourierInput, request)
        return Response(_render(services.order_unproject_courier(order_id=order_id, delivery_id=data["delivery_id"])))


class InternalRevokeCourierView(APIView):
    """Internal: an operator took the order from its courier (the delivery service): the delivery is
    revoked for good and, unless the order was picked up first, forgotten (it waits again)."""

    permission_classes = [IsService]

    @extend_schema(request=UnprojectCourierInput, responses={200: OrderOutput}, exclude=True)
    def put(self, request, order_id: str):
        data = valid_body(UnprojectCourierInput, request)
        return Response(_render(operators.order_revoke_courier(order_id=order_id, delivery_id=data["delivery_id"])))


class InternalOrdersWithCourierView(APIView):
    """Internal: live orders that name a courier, in id order, a page at a time (the reconciler)."""

    permission_classes = [IsService]

    @extend_schema(exclude=True)
    def get(self, request):
        data = valid_query(OrdersWithCourierFilter, request)
        orders = selectors.orders_with_courier(limit=data["limit"], after=data.get("after"))
        return Response({"results": [_render(o) for o in orders]})


class InternalOrdersLookupView(APIView):
    """Internal: several orders by id at once (the reconciler reads the truth in one call)."""

    permission_classes = [IsService]

    @extend_schema(request=OrdersLookupInput, exclude=True)
    def post(self, request):
        data = valid_body(OrdersLookupInput, request)
        return Response({"results": [_render(o) for o in selectors.orders_by_ids(order_ids=data["ids"])]})
