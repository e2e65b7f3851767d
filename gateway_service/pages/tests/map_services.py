"""A tile server and a Photon-compatible geocoder on this machine, for the pages' tests: the
platform is started with `MAP_TILES_URL` and `GEOCODER_URL` pointing here, so a test sees the
pages fetch tiles and look addresses up from exactly the origin the operator named."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from urllib.parse import parse_qs, urlsplit

# A 1x1 PNG: the tiles' content does not matter, that they are asked for does.
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
FOUND = {"street": "Lookup Lane", "housenumber": "7", "postcode": "1012", "city": "Amsterdam"}


class MapServices(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.requests: list[str] = []  # the paths asked for, in order
        self.place = (52.37, 4.89)  # where the geocoder finds every address
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> MapServices:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def feature(self, lat: float | None = None, lng: float | None = None) -> dict:
        lat, lng = (lat, lng) if lat is not None else self.place
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lng, lat]}, "properties": FOUND}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path.startswith("/tiles/"):
            return self._answer(TILE, "image/png")
        if parts.path == "/api":
            return self._json({"type": "FeatureCollection", "features": [self.server.feature()]})
        if parts.path == "/reverse":
            feature = self.server.feature(float(query["lat"]), float(query["lon"]))
            return self._json({"type": "FeatureCollection", "features": [feature]})
        return self._answer(b"", "text/plain", status=404)

    def _json(self, value) -> None:
        self._answer(json.dumps(value).encode(), "application/json")

    def _answer(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")  # a geocoder answers pages of any origin
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass
