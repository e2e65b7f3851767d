from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500  # noqa: F401
from edge import docs, root, signin, views

urlpatterns = [
    path("", root.ApiRootView.as_view(), name="api-root"),
    path("api-auth/login/", signin.login, name="login"),
    path("api-auth/logout/", signin.logout, name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("schema", docs.schema, name="schema"),
    path("docs", docs.docs, name="docs"),
    re_path(r"^.*$", views.proxy, name="proxy"),
]
