import sys

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self):
        from django.conf import settings

        from orders import operators, services

        # Only in a server process (not for management commands or tests); 0 switches each off.
        if "manage.py" in sys.argv[0] or "pytest" in sys.argv[0]:
            return
        if settings.ESTIMATE_REFRESH_S > 0:
            services.start_estimate_refresher(settings.ESTIMATE_REFRESH_S)
        if settings.OPERATOR_ACTION_SETTLE_S > 0:
            operators.start_settler(settings.OPERATOR_ACTION_SETTLE_S)
