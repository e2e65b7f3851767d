from django.urls import path

from common.routers import Router
from restaurants import api

router = Router()
router.register("restaurants", api.RestaurantViewSet, basename="restaurant")
router.register(r"restaurants/(?P<restaurant_id>[^/]+)/menu/items", api.MenuItemViewSet, basename="menu-item")
router.register(r"restaurants/(?P<restaurant_id>[^/]+)/orders", api.RestaurantOrderViewSet, basename="restaurant-order")

urlpatterns = [
    # Before the router's `restaurants/{id}`, which would take "popular" for an id.
    path("restaurants/popular", api.PopularView.as_view(), name="popular"),
    path("restaurants/<str:restaurant_id>/menu", api.MenuView.as_view(), name="menu"),
    *router.urls,
    path("internal/restaurants/<str:restaurant_id>/order-quote", api.OrderQuoteView.as_view(), name="order-quote"),
    path("internal/restaurants/<str:restaurant_id>/owners/<str:owner_id>", api.OwnerCheckView.as_view(), name="owner"),
    path("internal/restaurants/<str:restaurant_id>/orders-placed", api.OrderPlacedView.as_view(), name="orders-placed"),
]
