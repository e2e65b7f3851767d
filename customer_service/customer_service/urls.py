from django.urls import include, path

from common.urls import handler400, handler403, handler404, handler500, platform_urlpatterns  # noqa: F401

urlpatterns = [*platform_urlpatterns, path("", include("profiles.urls"))]
