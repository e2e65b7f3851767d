from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Food delivery shared library"

    def ready(self):
        from django.conf import settings
        from django.core import signals
        from django.db import close_old_connections, reset_queries

        # The services have no SQL database (DATABASES = {}, which Django fills in with its dummy
        # backend). Django still runs its SQL connection housekeeping on every request, and under
        # ASGI those sync receivers cost two thread hops per request; without a database they
        # have nothing to do.
        if settings.OTEL_ENABLED:
            from common import tracing

            tracing.configure()

        if all(db["ENGINE"] == "django.db.backends.dummy" for db in settings.DATABASES.values()):
            signals.request_started.disconnect(reset_queries)
            signals.request_started.disconnect(close_old_connections)
            signals.request_finished.disconnect(close_old_connections)
