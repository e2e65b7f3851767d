from django.urls import path

from common.routers import Router, SingletonRouter
from deliveries import api

me = SingletonRouter()
me.register("couriers/me", api.CourierMeViewSet, basename="courier-me")
router = Router()
router.register("deliveries", api.DeliveryViewSet, basename="delivery")

urlpatterns = [
    *me.urls,
    *router.urls,
    path("internal/dispatch", api.InternalDispatchView.as_view(), name="dispatch"),
    path("internal/deliveries/release", api.InternalReleaseView.as_view(), name="release"),
    path("internal/reconcile", api.InternalReconcileView.as_view(), name="reconcile"),
]
