"""`make test`: the store conformance suite first, then every service's pytest suite, then the
Behave features, all against real servers on free ports; prints one table and a closing line."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from .paths import ROOT, VENV_BIN
from .processes import log
from .stack import SERVICES, Stack

# The store's guarantees come first: every other suite builds on them (ARCHITECTURE 3.2).
CONFORMANCE_SUITE = "store_conformance"
TEST_SUITES = [CONFORMANCE_SUITE, "common", *[s.directory for s in SERVICES]]


def _junit_suites(path: Path) -> list[ET.Element]:
    if not path.exists():
        return []
    root = ET.parse(path).getroot()
    return [root] if root.tag == "testsuite" else list(root)


def _junit_counts(path: Path) -> tuple[int, int, int]:
    suites = _junit_suites(path)
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return total - failed - skipped, failed, skipped


def _junit_failures(path: Path) -> list[str]:
    """Each failed test as `class::name: first line of its message`. CI keeps only the log's tail,
    where the table is: without the names there, a failure that does not reproduce is a guess."""
    found = []
    for suite in _junit_suites(path):
        for case in suite.iter("testcase"):
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            if problem is None:
                continue
            message = (problem.get("message") or problem.text or "").strip().splitlines()
            found.append(f"{case.get('classname')}::{case.get('name')}: {message[0][:300] if message else ''}")
    return found


def run_tests(args) -> int:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="fd-test-"))
    stack = Stack(data_dir=work, free_ports=True, quiet=True, ferretdb_as_released=args.as_released)
    results: list[tuple[str, int, int, int, int]] = []
    failures: list[str] = []
    try:
        stack.start_databases()
        env = {
            **os.environ,
            **stack.store_test_env,
            "MONGO_URL": stack.mongo_url,
            "REDIS_URL": stack.redis_url,
            "DEVSTACK_DATA_DIR": str(work),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        suites = [] if args.only_e2e else (args.suites or TEST_SUITES)
        for suite in suites:
            if not (ROOT / suite).is_dir():
                raise SystemExit(f"unknown suite {suite}; known: {', '.join(TEST_SUITES)}")
            junit = work / f"{suite}.xml"
            log(f"pytest {suite}")
            code = subprocess.call(
                [str(VENV_BIN / "pytest"), f"--junitxml={junit}", *args.pytest_args], cwd=ROOT / suite, env=env
            )
            passed, failed, skipped = _junit_counts(junit)
            failures += _junit_failures(junit)
            # pytest exits 5 when a suite collected nothing: that is a broken suite here.
            results.append((suite, code, passed, failed, skipped))
            if suite == CONFORMANCE_SUITE and code != 0 and not args.as_released:
                log("the store breaks MongoDB's guarantees: the other suites would prove nothing; stopping")
                break
        stopped_early = bool(results) and results[-1][0] == CONFORMANCE_SUITE and results[-1][1] != 0
        if (args.e2e or args.only_e2e) and (ROOT / "features").is_dir() and not args.suites and not stopped_early:
            log("behave features")
            junit_dir = work / "behave"
            code = subprocess.call(
                [
                    str(VENV_BIN / "behave"),
                    "--junit",
                    f"--junit-directory={junit_dir}",
                    "--format=progress2",  # progress2 also prints each failing step's error
                    "features",
                ],
                cwd=ROOT,
                env=env,
            )
            passed = failed = skipped = 0
            for report in junit_dir.glob("*.xml"):
                p, f, s = _junit_counts(report)
                passed, failed, skipped = passed + p, failed + f, skipped + s
                failures += _junit_failures(report)
            results.append(("features", code, passed, failed, skipped))
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"{'suite':<20} {'exit':>4} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for suite, code, passed, failed, skipped in results:
        print(f"{suite:<20} {code:>4} {passed:>7} {failed:>7} {skipped:>8}")
    total_passed = sum(r[2] for r in results)
    total_failed = sum(r[3] for r in results)
    total_skipped = sum(r[4] for r in results)
    broken = [r[0] for r in results if r[1] != 0]
    print(f"took {time.monotonic() - started:.0f}s")
    print(f"{total_passed} passed, {total_failed} failed, {total_skipped} skipped")
    for failure in failures:
        print(f"FAILED {failure}")
    if broken:
        print(f"failing suites: {', '.join(broken)}")
        return 1
    return 0
