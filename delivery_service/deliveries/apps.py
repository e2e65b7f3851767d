import sys

from django.apps import AppConfig


class DeliveriesConfig(AppConfig):
    name = "deliveries"

    def ready(self):
        from django.conf import settings

        from deliveries import dispatch, operators, tracking

        # Only in a server process (not for management commands or tests); 0 switches each off.
        if "manage.py" in sys.argv[0] or "pytest" in sys.argv[0]:
            return
        if (interval := self._interval()) > 0:
            dispatch.start_worker(interval)
        if settings.COURIER_LOCATION_PERSIST_S > 0:
            tracking.start_persister(settings.COURIER_LOCATION_PERSIST_S)
        if settings.OPERATOR_ACTION_RESUME_S > 0:
            operators.start_resumer(settings.OPERATOR_ACTION_RESUME_S)

    @staticmethod
    def _interval() -> float:
        from django.conf import settings

        return settings.DISPATCH_SWEEP_S
