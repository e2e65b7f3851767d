from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500  # noqa: F401
from edge import docs, root, signin, views
from pages import shop, staticfiles
from pages import views as pages

urlpatterns = [
    path("", root.ApiRootView.as_view(), name="api-root"),
    path("api-auth/login/", signin.login, name="login"),
    path("api-auth/logout/", signin.logout, name="logout"),
    path("api-auth/signup/", signin.signup, name="signup"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("schema", docs.schema, name="schema"),
    path("docs", docs.docs, name="docs"),
    # The pages for people, and their own assets.
    path("home", pages.home, name="home"),
    path("shop/", shop.shop, name="shop"),
    path("shop/restaurants/<str:restaurant_id>", shop.shop_restaurant, name="shop-restaurant"),
    path("shop/orders", shop.shop_orders, name="shop-orders"),
    path("orders/<str:order_id>/track", pages.track, name="track"),
    path("restaurants/<str:restaurant_id>/board", pages.board, name="board"),
    path("restaurants/<str:restaurant_id>/manage", pages.manage, name="manage"),
    path("couriers/me/app", pages.courier_app, name="courier-app"),
    path("operator/console", pages.operator_console, name="operator-console"),
    path("static/pages/<path:path>", staticfiles.serve, name="pages-static"),
    re_path(r"^.*$", views.proxy, name="proxy"),
]
