from django.urls import path

from common.routers import Router
from orders import api, console, events

router = Router()
router.register("orders", api.OrderViewSet, basename="order")
router.register("customers/me/orders", api.CustomerOrderViewSet, basename="customer-order")
router.register("operator/orders", api.OperatorOrderViewSet, basename="operator-order")
router.register("operator/audit", api.OperatorAuditViewSet, basename="operator-audit")

urlpatterns = [
    *router.urls,
    path("orders/<str:order_id>/events", events.order_events, name="order-events"),
    path("operator/events", console.operator_events, name="operator-events"),
    path("restaurants/<str:restaurant_id>/orders/events", events.kitchen_board_events, name="kitchen-board-events"),
    path("internal/orders", api.InternalOrdersView.as_view(), name="internal-orders"),
    path("internal/orders/quote", api.InternalQuoteView.as_view(), name="quote"),
    path("internal/orders/courier-etas", api.InternalCourierEtasView.as_view(), name="courier-etas"),
    path("internal/orders/<str:order_id>/delay", api.InternalDelayView.as_view(), name="delay"),
    path("internal/orders/awaiting-courier", api.InternalAwaitingCourierView.as_view(), name="awaiting-courier"),
    path("internal/orders/<str:order_id>/transition", api.InternalTransitionView.as_view(), name="transition"),
    path("internal/orders/with-courier", api.InternalOrdersWithCourierView.as_view(), name="orders-with-courier"),
    path("internal/orders/lookup", api.InternalOrdersLookupView.as_view(), name="orders-lookup"),
    path("internal/orders/<str:order_id>/courier", api.InternalCourierView.as_view(), name="order-courier"),
    path("internal/orders/<str:order_id>/courier/revoke", api.InternalRevokeCourierView.as_view(), name="revoke"),
    path("internal/operator/actions/<str:action_id>", api.InternalOperatorActionView.as_view(), name="operator-action"),
    path(
        "internal/operator/actions/<str:action_id>/outcome",
        api.InternalOperatorActionOutcomeView.as_view(),
        name="operator-action-outcome",
    ),
]
