"""What the pages are told about the platform they run on (the currency, the map tiles, the
geocoder), and the only other origins they may reach: none unless the operator names them.

By default a page fetches nothing from elsewhere: maps draw on a plain background, addresses are
placed with a pin or the browser's position. `MAP_TILES_URL` adds a tile server (images only) and
`GEOCODER_URL` a Photon- or Nominatim-compatible server (fetched by the browser); each is added to
the Content-Security-Policy as exactly that origin, so nothing else becomes reachable.
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GEOCODER_APIS = ("photon", "nominatim")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _origin(url: str, name: str) -> str:
    """`scheme://host[:port]` of a URL, or of a tile template whose subdomain is `{s}` (any one)."""
    parts = urlsplit(url.replace("{s}", "subdomain-placeholder"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"{name} must be an http(s) URL, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}".replace("subdomain-placeholder", "*")


def page_assets_policy(policy: dict, *, tiles_url: str, geocoder_url: str, geocoder_api: str) -> dict:
    """The Content-Security-Policy with the tile server's and the geocoder's origins, when set."""
    if geocoder_api not in GEOCODER_APIS:
        raise ImproperlyConfigured(f"GEOCODER_API must be one of {', '.join(GEOCODER_APIS)}, got {geocoder_api!r}")
    policy = copy.deepcopy(policy)
    directives = policy["DIRECTIVES"]
    if tiles_url:
        directives["img-src"] = [*directives["img-src"], _origin(tiles_url, "MAP_TILES_URL")]
    if geocoder_url:
        directives["connect-src"] = [*directives["connect-src"], _origin(geocoder_url, "GEOCODER_URL")]
    return policy


def page_config() -> dict:
    """What every page's scripts read (`json_script` "page-config")."""
    if not _CURRENCY.match(settings.CURRENCY):
        raise ImproperlyConfigured(f"CURRENCY must be an ISO 4217 code such as EUR, got {settings.CURRENCY!r}")
    return {
        "currency": settings.CURRENCY,
        "tiles": {"url": settings.MAP_TILES_URL, "attribution": settings.MAP_TILES_ATTRIBUTION}
        if settings.MAP_TILES_URL
        else None,
        "geocoder": {"url": settings.GEOCODER_URL.rstrip("/"), "api": settings.GEOCODER_API}
        if settings.GEOCODER_URL
        else None,
    }
