"""A serving process raises its own open-file limit, and counts what it can hold within it."""

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from common import open_files

COMMON_DIR = Path(__file__).resolve().parents[1]
LOW = 1024


@pytest.fixture
def restored_limit():
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    yield before
    resource.setrlimit(resource.RLIMIT_NOFILE, before)


def _lowered_soft_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (LOW, hard))


_SERVE_AND_REPORT = """
import json, resource
from common.application import get_asgi_application
get_asgi_application()
print(json.dumps(resource.getrlimit(resource.RLIMIT_NOFILE)))
"""


def test_a_service_started_with_a_containers_soft_limit_raises_it_to_the_hard_one():
    """Docker 25+ and containerd 2 start containers with 1,024 (soft) of 524,288 (hard): a few
    hundred live streams, then accept() failing for everyone."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= LOW:
        pytest.skip(f"this machine's hard limit ({hard}) leaves nothing to raise")
    result = subprocess.run(
        [sys.executable, "-c", _SERVE_AND_REPORT],
        cwd=COMMON_DIR,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        preexec_fn=_lowered_soft_limit,
    )
    soft_after, hard_after = json.loads(result.stdout.strip().splitlines()[-1])
    assert hard_after == hard
    assert soft_after == (open_files.UNLIMITED_SOFT if hard == resource.RLIM_INFINITY else hard)


def test_raising_lifts_the_soft_limit_to_the_hard_one_and_answers_it(restored_limit):
    _, hard = restored_limit
    resource.setrlimit(resource.RLIMIT_NOFILE, (LOW, hard))

    raised = open_files.raise_soft_limit()

    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (raised, hard)
    assert raised == (open_files.UNLIMITED_SOFT if hard == resource.RLIM_INFINITY else hard)
    assert open_files.raise_soft_limit() == raised  # once there, nothing changes


def test_streams_within_the_limit_leave_descriptors_for_everything_else(restored_limit):
    _, hard = restored_limit
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files.RESERVED + 1000, hard))

    assert open_files.streams_within(descriptors_each=1) == 1000
    assert open_files.streams_within(descriptors_each=2) == 500


def test_a_limit_below_the_reserve_still_allows_one_stream(restored_limit):
    _, hard = restored_limit
    resource.setrlimit(resource.RLIMIT_NOFILE, (100, hard))

    assert open_files.streams_within(descriptors_each=2) == 1
