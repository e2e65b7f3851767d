import os

from common.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "delivery_service.settings")
application = get_asgi_application()

from django.conf import settings  # noqa: E402 (Django is set up above)

from deliveries.fast import with_position_reports  # noqa: E402

# Couriers' position reports are answered before Django's handler (deliveries/fast.py), except when
# tracing is on: the tracing middleware's span per request is then worth Django's cost.
if not settings.OTEL_ENABLED:
    application = with_position_reports(application)
