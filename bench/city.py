"""A city's load on two cores (issue #23): its fleet and its watchers, not its few orders a second.

    python bench/city.py            # starts its own platform; prints and writes bench/out/city.json

Three measurements, each through the gateway of a platform started here (its gateway with two
uvicorn workers: every relayed stream holds two descriptors there, and this machine's hard limit
is 20,000 per process, which the tooling cannot raise; the other services run one process each):

  streams   CITY_STREAMS (10,000) tracking streams opened at CITY_OPEN_RATE (1,000) a second, then
            for CITY_SECONDS (30) one in a hundred streams' orders changes every second: the delay
            from each change (the event's `at`, the server's clock) to its arrival at every
            follower, events missed, and memory per open stream (gateway and order service RSS
            growth over the streams open).
  storm     CITY_STORM (5,000) clients open their streams within one second, as after a gateway
            restart, and reconnect as real clients do (honouring Retry-After and the stream's
            `retry:`): seconds until every one is streaming again, and ordinary requests (an order
            read) made meanwhile: their answers and latency.
  city      for CITY_SECONDS_CITY (60): CITY_COURIERS (1,000) couriers reporting a position every
            5 s, CITY_TRACKING (2,000) tracking streams, three kitchen boards whose kitchens accept
            what they are shown, customers placing 10 orders/s, and 1% of the tracked orders
            changing each second: p50/p99 of each operation, and the CPU each process spent.

The watched orders are stored straight into the order service's database (as bench/placement.py's
stored orders are), for customers whose access tokens are signed here with the platform's key, in
the shape the auth service issues them: thousands of customers cannot be registered in a benchmark's
time (Argon2 is slow on purpose). Every request still goes through the gateway and is authorized per
object as any other; each customer holds at most ten streams (the per-user cap is 20).

CITY_ONLY (streams,storm,city) runs some of them. The parts: bench/city_world.py (the city),
bench/city_clients.py (followers as phones behave), bench/city_measures.py (the three measurements),
bench/city_report.py (the summary and bench/out/city.png).

The load client shares the machine's two cores with the platform, and holds as many connections
and streams as the gateway: its garbage collector gets the services' settings
(common/garbage_collection.py), so that its own pauses are neither measured as the platform's delays
nor take the platform's CPU. With CPython's defaults it spent 27 s of a 10,000-stream run in the
collector, 16 s of it in full collections of up to 1.8 s each, every event arriving meanwhile
measured that much late. CITY_CLIENT_GC=python keeps CPython's defaults (as every figure before
2026-11-30's fifth session in bench/RESULTS.md was measured).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
import devstack  # noqa: E402
from city_clients import session_for  # noqa: E402
from city_measures import PLACEMENT_PER_S, measure_city, measure_storm, measure_streams  # noqa: E402
from city_report import plot, print_summary  # noqa: E402
from city_world import City  # noqa: E402
from logs import logger  # noqa: E402
from procfs import cpu_seconds  # noqa: E402

OUT = ROOT / "bench" / "out"
STREAMS = int(os.environ.get("CITY_STREAMS", 10_000))
OPEN_RATE = int(os.environ.get("CITY_OPEN_RATE", 1000))
SECONDS = int(os.environ.get("CITY_SECONDS", 30))
STORM = int(os.environ.get("CITY_STORM", 5000))
COURIERS = int(os.environ.get("CITY_COURIERS", 1000))
TRACKING = int(os.environ.get("CITY_TRACKING", 2000))
CITY_SECONDS = int(os.environ.get("CITY_SECONDS_CITY", 60))
ONLY = set(filter(None, os.environ.get("CITY_ONLY", "streams,storm,city").split(",")))
log = logger("city")


async def run_all(stack) -> dict:
    results: dict = {}
    pids = {"gateway": stack.pid_of("gateway"), "order": stack.pid_of("order")}
    async with session_for(0) as session:
        city = City(stack, session, stack.gateway_url)
        log("building the city: three restaurants, twenty customers")
        await city.build()
        if "streams" in ONLY:
            log(f"streams: {STREAMS} opened at {OPEN_RATE}/s, then 1% of them told of a change each second")
            results["streams"] = await measure_streams(
                city, pids, streams=STREAMS, open_rate=OPEN_RATE, seconds=SECONDS
            )
        if "storm" in ONLY:
            if "streams" in results:
                results["streams"]["seconds_to_settle_after_closing"] = await city.settle(city.customers[0][0])
                log(f"  settled {results['streams']['seconds_to_settle_after_closing']}s after closing them")
            log(f"storm: {STORM} clients opening within one second")
            results["storm"] = await measure_storm(city, clients=STORM)
        if "city" in ONLY:
            if "storm" in results:
                results["storm"]["seconds_to_settle_after_closing"] = await city.settle(city.customers[0][0])
            log(f"city: {COURIERS} couriers, {TRACKING} streams, 3 boards, {PLACEMENT_PER_S} orders/s")
            results["city"] = await measure_city(
                city, lambda: cpu_seconds(stack), couriers=COURIERS, tracking=TRACKING, seconds=CITY_SECONDS
            )
    return results


def start_stack(work: Path):
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this client's thousands of connections
    stack = devstack.Stack.for_benchmark(work, "city", workers={"gateway": 2})
    try:
        stack.start_databases()
        stack.start_services()
    except BaseException:
        stack.stop()  # what started before a readiness timeout must not outlive this run
        raise
    return stack


def settle_client_collector() -> None:
    if os.environ.get("CITY_CLIENT_GC", "tuned") != "python":
        from common.garbage_collection import DEFAULT_THRESHOLDS, prepare_for_serving

        prepare_for_serving(DEFAULT_THRESHOLDS)


def measure() -> dict:
    """Every measurement on a platform of its own; writes bench/out/city.json and city.png."""
    settle_client_collector()

    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fd-city-"))
    try:
        stack = start_stack(work)
        try:
            results = asyncio.run(run_all(stack))
        finally:
            stack.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (OUT / "city.json").write_text(json.dumps(results, indent=2))
    plot(results, OUT / "city.png")
    return results


def main() -> int:
    print_summary(measure())
    print(f"wrote {OUT / 'city.json'} and {OUT / 'city.png'}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
