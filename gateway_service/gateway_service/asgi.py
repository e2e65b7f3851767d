import os

import django
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_service.settings")


class EdgeASGIHandler(ASGIHandler):
    """Django's ASGI handler without a ThreadSensitiveContext per request.

    That context gives every request its own executor, that is a new thread, for the one sync call
    Django makes per request (`response.close()`). The gateway's request path is async end to end
    (every middleware is async-capable, the proxy view is async), so it needs no per-request thread;
    the few sync calls left share asgiref's single sync thread. Measured: see bench/RESULTS.md.
    """

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)


django.setup(set_prefix=False)
application = EdgeASGIHandler()
