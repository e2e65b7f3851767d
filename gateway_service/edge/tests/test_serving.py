import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

GATEWAY_DIR = Path(__file__).resolve().parents[2]

_SERVE_AND_REPORT = """
import gc, json
import gateway_service.asgi
print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects()), "threshold": gc.get_threshold()}))
"""


def test_the_gateway_started_for_serving_never_walks_its_start_up_objects_again():
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")}
    result = subprocess.run(
        [sys.executable, "-c", _SERVE_AND_REPORT],
        cwd=GATEWAY_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["frozen"] > 20_000
    assert report["tracked"] < report["frozen"] / 10
    assert tuple(report["threshold"]) == settings.GC_THRESHOLDS
    assert gc.get_freeze_count() == 0  # the test process itself is left as it was
