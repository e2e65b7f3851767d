from django.urls import path

from common.routers import Router, SingletonRouter
from deliveries import api, events

me = SingletonRouter()
me.register("couriers/me", api.CourierMeViewSet, basename="courier-me")
router = Router()
router.register("deliveries", api.DeliveryViewSet, basename="delivery")
router.register("operator/couriers", api.OperatorCourierViewSet, basename="operator-courier")
router.register("operator/orders", api.OperatorAssignmentViewSet, basename="operator-assignment")

urlpatterns = [
    # Before the router's `couriers/me/{action}` routes.
    path("couriers/me/events", events.courier_feed_events, name="courier-feed-events"),
    *me.urls,
    *router.urls,
    path("internal/dispatch", api.InternalDispatchView.as_view(), name="dispatch"),
    path("internal/deliveries/release", api.InternalReleaseView.as_view(), name="release"),
    path("internal/deliveries/order-status", api.InternalOrderStatusView.as_view(), name="order-status"),
    path("internal/reconcile", api.InternalReconcileView.as_view(), name="reconcile"),
    path("internal/operator/couriers", api.InternalConsoleCouriersView.as_view(), name="console-couriers"),
]
