from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500  # noqa: F401
from edge import docs, root, signin, views
from pages import views as pages

urlpatterns = [
    path("", root.ApiRootView.as_view(), name="api-root"),
    path("api-auth/login/", signin.login, name="login"),
    path("api-auth/logout/", signin.logout, name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("schema", docs.schema, name="schema"),
    path("docs", docs.docs, name="docs"),
    # The live pages for people, and their own assets.
    path("orders/<str:order_id>/track", pages.track, name="track"),
    path("restaurants/<str:restaurant_id>/board", pages.board, name="board"),
    path("couriers/me/app", pages.courier_app, name="courier-app"),
    path("static/pages/<path:path>", pages.static, name="pages-static"),
    re_path(r"^.*$", views.proxy, name="proxy"),
]
