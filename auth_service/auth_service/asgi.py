import os

from common.application import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auth_service.settings")
application = get_asgi_application()
