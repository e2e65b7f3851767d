from django.urls import path

from common.routers import Router, SingletonRouter
from profiles import api

me = SingletonRouter()
me.register("customers/me", api.MeViewSet, basename="me")
collections = Router()
collections.register("customers/me/addresses", api.AddressViewSet, basename="address")

urlpatterns = [
    *collections.urls,
    *me.urls,
    path(
        "internal/customers/<str:customer_id>/addresses/<str:address_id>",
        api.InternalAddressView.as_view(),
        name="internal-address",
    ),
]
