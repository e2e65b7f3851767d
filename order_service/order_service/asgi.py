import os

from common.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "order_service.settings")
application = get_asgi_application()

from common.fast_paths import in_front_of  # noqa: E402 (Django is set up above)

# The routes of FAST_ROUTES are answered before Django's handler, by their own views.
application = in_front_of(application)
