import os

from common.application import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "restaurant_service.settings")
application = get_asgi_application()
