import os

from common.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "order_service.settings")
application = get_asgi_application()

from common.lean_routes import in_front_of  # noqa: E402 (Django is set up above)
from orders.fast import with_placements  # noqa: E402

# Customers' orders are placed before Django's handler (orders/fast.py).
application = in_front_of(application, with_placements)
