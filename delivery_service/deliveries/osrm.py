"""Travel times from an OSRM server's table service, when OSRM_URL is set (ARCHITECTURE 4.7); without
it the plan uses great-circle distances x ROUTING_DETOUR_FACTOR (deliveries/planning.py)."""

from __future__ import annotations

import numpy as np
import requests

PROFILE = "bike"
TIMEOUT_S = 2.0


def table(points: np.ndarray, *, base_url: str) -> np.ndarray:
    """Seconds between every pair of (lat, lng) points. Raises on any failure: that pass of the plan
    then falls back to the nearest rule (deliveries/planner.py)."""
    coordinates = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
    response = requests.get(
        f"{base_url.rstrip('/')}/table/v1/{PROFILE}/{coordinates}",
        params={"annotations": "duration"},
        timeout=TIMEOUT_S,
    )
    response.raise_for_status()
    durations = response.json()["durations"]
    return np.rint(np.nan_to_num(np.array(durations, dtype=float), nan=24 * 3600)).astype(np.uint32)
