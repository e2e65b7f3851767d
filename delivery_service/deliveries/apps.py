import sys

from django.apps import AppConfig


class DeliveriesConfig(AppConfig):
    name = "deliveries"

    def ready(self):
        from deliveries import services

        # Only in a server process (not for management commands or tests).
        if services.sweeper_enabled() and "manage.py" not in sys.argv[0] and "pytest" not in sys.argv[0]:
            services.start_dispatch_sweeper(self._interval())

    @staticmethod
    def _interval() -> float:
        from django.conf import settings

        return settings.DISPATCH_SWEEP_S
