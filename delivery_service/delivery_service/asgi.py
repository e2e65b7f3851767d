import os

from common.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "delivery_service.settings")
application = get_asgi_application()

from common.lean_routes import in_front_of  # noqa: E402 (Django is set up above)
from deliveries.fast import with_position_reports  # noqa: E402

# Couriers' position reports are answered before Django's handler (deliveries/fast.py).
application = in_front_of(application, with_position_reports)
