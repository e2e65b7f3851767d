import sys

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from django.conf import settings

        from orders import services

        # Only in a server process (not for management commands or tests); 0 switches it off.
        interval = settings.ESTIMATE_REFRESH_S
        if interval > 0 and "manage.py" not in sys.argv[0] and "pytest" not in sys.argv[0]:
            services.start_estimate_refresher(interval)
