from django.urls import path

from profiles import api

urlpatterns = [
    path("customers/me", api.MeView.as_view(), name="me"),
    path("customers/me/orders", api.OrdersView.as_view(), name="orders"),
    path("customers/me/feed", api.FeedView.as_view(), name="feed"),
    path("customers/me/addresses", api.AddressListView.as_view(), name="addresses"),
    path("customers/me/addresses/<str:address_id>", api.AddressDetailView.as_view(), name="address"),
]
