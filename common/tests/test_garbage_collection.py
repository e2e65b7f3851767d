import gc
import json
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from common import garbage_collection

COMMON_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def restored_collector():
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def _started_process(code: str, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=COMMON_DIR,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


_SERVE_AND_REPORT = """
import gc, json
from common.application import get_asgi_application
get_asgi_application()
print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects()), "threshold": gc.get_threshold()}))
"""


def test_a_service_started_for_serving_never_walks_its_start_up_objects_again():
    report = _started_process(_SERVE_AND_REPORT)
    # Django, DRF and the platform's modules: tens of thousands of objects, frozen; hardly any left.
    assert report["frozen"] > 20_000
    assert report["tracked"] < report["frozen"] / 10
    assert tuple(report["threshold"]) == garbage_collection.DEFAULT_THRESHOLDS


def test_the_thresholds_come_from_the_environment():
    report = _started_process(_SERVE_AND_REPORT, GC_THRESHOLDS="2000,15,30")
    assert tuple(report["threshold"]) == (2000, 15, 30)


def test_a_service_with_thresholds_that_would_turn_collection_off_does_not_start():
    result = subprocess.run(
        [sys.executable, "-c", _SERVE_AND_REPORT],
        cwd=COMMON_DIR,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin", "GC_THRESHOLDS": "0,10,10"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: GC_THRESHOLDS must be three positive integers" in result.stderr


@pytest.mark.parametrize("raw", ["0,10,10", "1000,10", "a,b,c", "1000,-1,10"])
def test_thresholds_that_would_turn_collection_off_or_make_no_sense_stop_the_start(raw):
    with pytest.raises(ImproperlyConfigured):
        garbage_collection.thresholds(raw.split(","))


def test_garbage_among_long_lived_objects_is_still_collected(restored_collector):
    """What a stream leaves when it ends has lived in the oldest generation: it must not wait for ever."""
    garbage_collection.prepare_for_serving(garbage_collection.DEFAULT_THRESHOLDS)

    class Node:
        pass

    gone = []
    cycle = Node()
    cycle.me = cycle
    weakref.finalize(cycle, gone.append, True)
    gc.collect()  # now in the oldest generation, as an open stream's objects are
    del cycle
    # Objects that stay alive, as a server's open streams do, move the collector's counters on.
    young, middle, old = garbage_collection.DEFAULT_THRESHOLDS
    alive = [[] for _ in range(2 * young * middle * old)]
    assert gone == [True]
    del alive
