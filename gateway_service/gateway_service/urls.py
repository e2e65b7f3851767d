from django.urls import path, re_path

from common.urls import handler400, handler403, handler404, handler500  # noqa: F401
from edge import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    re_path(r"^.*$", views.proxy, name="proxy"),
]
