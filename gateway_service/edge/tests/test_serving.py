import gc
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from django.conf import settings

GATEWAY_DIR = Path(__file__).resolve().parents[2]

_SERVE_AND_REPORT = """
import gc, json, resource
import gateway_service.asgi
print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects()), "threshold": gc.get_threshold(),
                  "open_files": resource.getrlimit(resource.RLIMIT_NOFILE)}))
"""
LOW_SOFT_LIMIT = 1024  # what Docker 25+ and containerd 2 give a container


def _started_gateway(**popen) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")}
    result = subprocess.run(
        [sys.executable, "-c", _SERVE_AND_REPORT],
        cwd=GATEWAY_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        **popen,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_gateway_started_for_serving_never_walks_its_start_up_objects_again():
    report = _started_gateway()
    assert report["frozen"] > 20_000
    assert report["tracked"] < report["frozen"] / 10
    assert tuple(report["threshold"]) == settings.GC_THRESHOLDS
    assert gc.get_freeze_count() == 0  # the test process itself is left as it was


def _lowered_soft_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (LOW_SOFT_LIMIT, hard))


def test_the_gateway_started_with_a_containers_soft_limit_raises_it_to_the_hard_one():
    """Each relayed stream holds two descriptors: with 1,024 a gateway process relays 262 streams."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard == resource.RLIM_INFINITY or hard > LOW_SOFT_LIMIT  # else this machine tests nothing

    soft_after, hard_after = _started_gateway(preexec_fn=_lowered_soft_limit)["open_files"]

    assert hard_after == hard
    assert soft_after > LOW_SOFT_LIMIT
    assert soft_after == hard or hard == resource.RLIM_INFINITY
