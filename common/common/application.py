"""A service's ASGI application, as its `asgi.py` serves it: Django's handler (`common.asgi`) with the
fast paths in front (`common.fast_paths`) and the background loops run for the server's lifespan
(`common.background`).
"""

from __future__ import annotations

import django
from django.conf import settings

from common import background, open_files
from common.asgi import PooledThreadsASGIHandler
from common.garbage_collection import prepare_for_serving


def get_asgi_application():
    """A service's application: the routes of its FAST_ROUTES answered before Django's handler by
    their own views (common/fast_paths/), its background loops run for the server's lifespan
    (common/background.py)."""
    open_files.raise_soft_limit()
    django.setup(set_prefix=False)
    # Imported once Django is set up: the fast paths resolve their views from the settings.
    from common.fast_paths import in_front_of

    application = in_front_of(PooledThreadsASGIHandler())
    prepare_for_serving(settings.GC_THRESHOLDS)
    return background.serving(application)
