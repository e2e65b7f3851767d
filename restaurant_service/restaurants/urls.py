from django.urls import path

from restaurants import api, fast

urlpatterns = [
    path("restaurants", api.RestaurantListView.as_view(), name="restaurants"),
    path("restaurants/popular", fast.popular, name="popular"),
    path("restaurants/<str:restaurant_id>", api.RestaurantDetailView.as_view(), name="restaurant"),
    path("restaurants/<str:restaurant_id>/menu", fast.menu, name="menu"),
    path("restaurants/<str:restaurant_id>/menu/items", api.MenuItemListView.as_view(), name="menu-items"),
    path(
        "restaurants/<str:restaurant_id>/menu/items/<str:item_id>", api.MenuItemDetailView.as_view(), name="menu-item"
    ),
    path("restaurants/<str:restaurant_id>/orders", api.RestaurantOrdersView.as_view(), name="restaurant-orders"),
    path(
        "restaurants/<str:restaurant_id>/orders/<str:order_id>/status",
        api.RestaurantOrderStatusView.as_view(),
        name="restaurant-order-status",
    ),
    path("internal/restaurants/<str:restaurant_id>/order-quote", api.OrderQuoteView.as_view(), name="order-quote"),
    path("internal/restaurants/<str:restaurant_id>/orders-placed", api.OrderPlacedView.as_view(), name="orders-placed"),
]
