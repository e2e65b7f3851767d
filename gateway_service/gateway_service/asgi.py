"""The gateway's ASGI application: a call to a service relayed before Django's handler
(`edge.fast_proxy`), everything else by `common.asgi.LeanASGIHandler`, with no per-request context.

Django would give every request a `ThreadSensitiveContext`, that is a new thread, for the one sync
call it makes per request (`response.close()`). The gateway's request path is async end to end
(every middleware is async-capable, the proxy view is async), and the lean handler closes ordinary
responses on the loop, so such a request here never touches a thread (a relayed stream's close,
once at its end, still does).
"""

import os

import django
from django.conf import settings

from common import background, open_files
from common.asgi import LeanASGIHandler
from common.garbage_collection import prepare_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_service.settings")
open_files.raise_soft_limit()  # each relayed stream holds two descriptors (common/open_files.py)
django.setup(set_prefix=False)
application = LeanASGIHandler()

from edge.fast_proxy import in_front_of  # noqa: E402 (Django is set up above)

# A call to a service is relayed before Django's handler, by the proxy view (edge/fast_proxy.py).
application = in_front_of(application)
prepare_for_serving(settings.GC_THRESHOLDS)
application = background.serving(application)  # no loops of its own; the lifespan is answered all the same
