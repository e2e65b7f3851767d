import os

from common.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "order_service.settings")
application = get_asgi_application()

from django.conf import settings  # noqa: E402 (Django is set up above)

from orders.fast import with_placements  # noqa: E402

# Customers' orders are placed before Django's handler (orders/fast.py), except when tracing is on:
# the tracing middleware's span per request is then worth Django's cost.
if not settings.OTEL_ENABLED:
    application = with_placements(application)
