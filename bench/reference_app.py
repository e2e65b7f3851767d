"""The reference limit: the smallest Django JSON view, served exactly like the services
(uvicorn, one worker, ASGI). Nothing the platform does can be faster than this."""

import django
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.http import JsonResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmark-reference-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
)
django.setup()

# A body of about the size of a cached menu of 20 items, so serialization costs compare.
BODY = {
    "restaurant_id": "0" * 24,
    "items": [
        {"id": str(n) * 24, "name": f"Dish {n}", "price_cents": 1000 + n, "description": "x" * 80, "available": True}
        for n in range(20)
    ],
}


def reference(request):
    return JsonResponse(BODY)


urlpatterns = [path("reference", reference)]
application = get_asgi_application()
