from django.urls import path

from deliveries import api

urlpatterns = [
    path("couriers/me", api.CourierMeView.as_view(), name="courier-me"),
    path("couriers/me/location", api.CourierLocationView.as_view(), name="courier-location"),
    path("deliveries", api.DeliveryListView.as_view(), name="deliveries"),
    path("deliveries/<str:delivery_id>", api.DeliveryDetailView.as_view(), name="delivery"),
    path("deliveries/<str:delivery_id>/status", api.DeliveryStatusView.as_view(), name="delivery-status"),
    path("internal/dispatch", api.InternalDispatchView.as_view(), name="dispatch"),
    path("internal/deliveries/release", api.InternalReleaseView.as_view(), name="release"),
    path("internal/reconcile", api.InternalReconcileView.as_view(), name="reconcile"),
]
