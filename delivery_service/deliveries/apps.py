import sys

from django.apps import AppConfig


class DeliveriesConfig(AppConfig):
    name = "deliveries"

    def ready(self):
        from deliveries import dispatch

        # Only in a server process (not for management commands or tests); 0 switches it off.
        interval = self._interval()
        if interval > 0 and "manage.py" not in sys.argv[0] and "pytest" not in sys.argv[0]:
            dispatch.start_worker(interval)

    @staticmethod
    def _interval() -> float:
        from django.conf import settings

        return settings.DISPATCH_SWEEP_S
