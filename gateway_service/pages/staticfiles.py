"""The pages' assets through Django's staticfiles: content-hashed names, served by the gateway.

`manage.py collectstatic` (run by the tooling before the gateway starts, and in the image) copies
the pages app's `static/` folder to STATIC_ROOT, each file also under a name with its content's hash
(`pages/shop.3f2a9c1b.js`), and rewrites the references between them (CSS `url()`, source maps and
JavaScript module imports) to those names, recorded in a manifest. `{% static %}` names the hashed
file, so a browser may keep it forever and a new release is seen at once. WhiteNoise answers the
requests for them (conditional requests, `immutable` caching, content types); only the pages' own
files are collected here: the browsable API's are served by the services (edge/routes.py).
"""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles.finders import AppDirectoriesFinder
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.middleware import WhiteNoiseMiddleware

from common.errors import error_response


class PagesFinder(AppDirectoriesFinder):
    """Only the pages app's static folder (the gateway's other apps have their files served elsewhere)."""

    def __init__(self, app_names=None, *args, **kwargs):
        super().__init__(["pages"], *args, **kwargs)


class HashedStaticFilesStorage(ManifestStaticFilesStorage):
    # The pages are ES modules that import each other: their imports name the hashed files too.
    support_js_module_import_aggregation = True

    def stored_name(self, name: str) -> str:
        """The hashed name of a collected file. Any other keeps its plain name: DRF's and Swagger
        UI's, named by templates the gateway also renders and served by the services."""
        cleaned = self.clean_name(name)
        return self.hashed_files.get(self.hash_key(cleaned), cleaned)


@cache
def _whitenoise() -> WhiteNoiseMiddleware:
    return WhiteNoiseMiddleware()  # reads STATIC_ROOT once, on the first request for an asset


async def serve(request, path: str):
    """`GET /static/pages/{path}`: a collected asset, as WhiteNoise answers it; else the contract's 404."""
    whitenoise = _whitenoise()
    # Under DEBUG WhiteNoise looks files up as they are asked for (a changed file is seen at once).
    static_file = (
        whitenoise.find_file(request.path_info) if whitenoise.autorefresh else whitenoise.files.get(request.path_info)
    )
    if static_file is None:
        return error_response(404, "not_found", "No such file.", {"path": request.path})
    return WhiteNoiseMiddleware.serve(static_file, request)
