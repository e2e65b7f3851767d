#!/usr/bin/env python3
"""Benchmarks: one command starts the platform (or uses GATEWAY_URL), seeds data, measures, prints
a table, writes bench/out/results.json and bench/out/latency.png, and stops what it started.

Measurements (throughput and p50/p95/p99 at fixed concurrency, with wrk):
  reference       the smallest Django JSON view under the services' server settings
  menu-cached     GET /restaurants/{id}/menu, direct to the restaurant service (Redis cache)
  menu-uncached   the same on a second restaurant process with the cache off
  menu-gateway    the cached read through the gateway
  menu-nginx      the cached read through nginx (Debian's) proxying to the restaurant service
                  (the two are measured alternately, PROXY_PAIRS times, and the median pair by
                  ratio counts: issue #23's target is 0.9)
  positions-gateway  POST /couriers/me/location through the gateway, 1,000 couriers round robin
                  (its ratio to the cached read through the gateway is the issue #23 target: the two
                  are measured alternately, POSITION_PAIRS times, and the median pair counts), with
                  CPU per report by process
and, with an asyncio client (bench/placement.py), order placement: BENCH_PLACEMENT_CLIENTS (20)
customers placing orders concurrently through the gateway; the store on its own (bench/store.py):
indexed equality finds among 10,000 documents and mixed writes per second; nearest-courier dispatch
with 10,000 located couriers (bench/dispatch.py); order transitions, accepted to delivered, with
as many kitchens and couriers (bench/transitions.py); and live tracking (an asyncio client): STREAMS concurrent SSE streams through the gateway, their
memory cost in the gateway and order processes, and the delay from each transition (its `at`) to
its event arriving at every client.

Environment: BENCH_DURATION_S (10), BENCH_CONNECTIONS (32), BENCH_PLACEMENT_CLIENTS (20),
BENCH_STORED_ORDERS (50,000: placement is measured again after storing that many),
BENCH_TRANSITIONS (1; 0 skips the transitions), BENCH_STREAMS
(1000), BENCH_CITY (1; 0 skips bench/city.py: 10,000 streams, the reconnect storm, the city), BENCH_GROWTH
(1; 0 skips bench/growth.py: each request's cost at growing data sizes, BENCH_GROWTH_SIZES orders,
BENCH_GROWTH_REPEATS timings of each), BENCH_CONSOLE (1; 0 skips bench/console.py: the operators' console
under 1,000 couriers), GATEWAY_URL +
RESTAURANT_URL to measure a platform started elsewhere (then reference/uncached/nginx are skipped).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import devstack  # noqa: E402
import placement  # noqa: E402
import report  # noqa: E402
import store  # noqa: E402
import tracking  # noqa: E402
import transitions  # noqa: E402
from logs import logger  # noqa: E402
from procfs import cpu_ms_per, cpu_seconds  # noqa: E402
from seeding import http, seed  # noqa: E402
from throughput import (  # noqa: E402
    CONNECTIONS,
    DURATION_S,
    POSITION_COURIERS,
    POSITION_PAIRS,
    PROXY_PAIRS,
    measure_positions,
    measure_proxies,
    wrk,
)
from yardsticks import start_nginx, start_reference_app  # noqa: E402

OUT = ROOT / "bench" / "out"
TRANSITIONS = os.environ.get("BENCH_TRANSITIONS", "1") != "0"
PLACEMENT_CLIENTS = int(os.environ.get("BENCH_PLACEMENT_CLIENTS", 20))
STORED_ORDERS = int(os.environ.get("BENCH_STORED_ORDERS", 50_000))
STREAMS = int(os.environ.get("BENCH_STREAMS", 1000))
CITY = os.environ.get("BENCH_CITY", "1") != "0"
GROWTH = os.environ.get("BENCH_GROWTH", "1") != "0"
CONSOLE = os.environ.get("BENCH_CONSOLE", "1") != "0"
log = logger("bench")


def measure_placement(gateway: str, stack) -> dict:
    """Placement at PLACEMENT_CLIENTS; with our own stack, also where each order's CPU went over the
    measured window: N cores give N x 1,000 ms of CPU per second, which bounds orders/s from above
    whatever the latency."""
    probe = (lambda: cpu_seconds(stack)) if stack else None
    result = asyncio.run(placement.measure(gateway, clients=PLACEMENT_CLIENTS, seconds=DURATION_S, probe=probe))
    if stack:
        cpu_before, cpu_after = result.pop("probe")
        result["cpu_ms_per_order"] = cpu_ms_per(cpu_before, cpu_after, result["orders"])
        total = sum(result["cpu_ms_per_order"].values())
        result["cpu_bound_orders_per_s"] = round(1000 * (os.cpu_count() or 1) / max(total, 0.001), 1)
    return result


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for tool in ("wrk",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed: apt-get install wrk nginx-light (make bench does)")
    external = os.environ.get("GATEWAY_URL")
    work = Path(tempfile.mkdtemp(prefix="fd-bench-"))
    # The live tracking measurement is one customer's STREAMS streams (the per-user cap is for
    # hostile clients; bench/city.py measures streams at scale with thousands of users).
    stack = devstack.Stack.for_benchmark(work, "bench", extra_env={"SSE_MAX_STREAMS_PER_USER": str(STREAMS + 10)})
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": {"duration_s": DURATION_S, "connections": CONNECTIONS, "streams": STREAMS},
        "http": {},
    }
    try:
        if external:
            gateway, restaurant_url = external.rstrip("/"), os.environ["RESTAURANT_URL"].rstrip("/")
        else:
            log("starting the platform")
            stack.start_databases()
            stack.start_services()
            gateway, restaurant_url = stack.gateway_url, f"http://127.0.0.1:{stack.ports['restaurant']}"
        world = seed(gateway)
        menu_path = f"/restaurants/{world['restaurant']['id']}/menu"
        http("GET", restaurant_url + menu_path)  # warm the cache
        runs = {}
        if not external:
            _, reference_url = start_reference_app(stack)
            uncached_port = devstack.free_port()
            stack.start_instance(
                "restaurant-nocache", "restaurant", uncached_port, {"RESTAURANT_CACHE_ENABLED": "false"}
            )
            nginx, nginx_port = start_nginx(work / "nginx", stack.ports["restaurant"])
            runs["reference"] = reference_url
        runs["menu-cached"] = restaurant_url + menu_path
        if not external:
            runs["menu-uncached"] = f"http://127.0.0.1:{uncached_port}{menu_path}"
        runs["menu-gateway"] = gateway + menu_path
        if not external:
            runs["menu-nginx"] = f"http://127.0.0.1:{nginx_port}{menu_path}"
        for name, url in runs.items():
            if name in ("menu-gateway", "menu-nginx") and not external:
                continue  # measured in alternating pairs below
            log(f"{name}: {DURATION_S}s at {CONNECTIONS} connections")
            results["http"][name] = wrk(url)
        if not external:
            log(f"the gateway against nginx on the cached read, alternately {PROXY_PAIRS} times: {DURATION_S}s each")
            results["proxies"] = measure_proxies(stack, runs["menu-gateway"], runs["menu-nginx"])
            median = results["proxies"]["median"]
            results["http"]["menu-gateway"], results["http"]["menu-nginx"] = median["gateway"], median["nginx"]
        if not external:
            log(
                f"positions against the cached read, alternately {POSITION_PAIRS} times: {DURATION_S}s each "
                f"at {CONNECTIONS} connections, {POSITION_COURIERS} couriers round robin"
            )
            results["positions"] = measure_positions(stack, gateway, world, work, runs["menu-gateway"])
            median = results["positions"]["median"]
            results["http"]["positions-gateway"] = median["positions"]
            results["positions_cpu_ms"], results["read_cpu_ms"] = median["positions_cpu_ms"], median["read_cpu_ms"]
        if not external:
            log(f"live tracking: {STREAMS} streams")
            pids = {"gateway": stack.pid_of("gateway"), "order": stack.pid_of("order")}
            results["streams"] = asyncio.run(tracking.measure_streams(gateway, world, pids, streams=STREAMS))
        # Before placement: its orders would wait for couriers, and dispatch serves the oldest first.
        if TRANSITIONS:
            log(f"transitions: {PLACEMENT_CLIENTS} kitchens and {PLACEMENT_CLIENTS} couriers for {DURATION_S}s")
            results["transitions"] = asyncio.run(
                transitions.measure(gateway, clients=PLACEMENT_CLIENTS, seconds=DURATION_S)
            )
        log(f"order placement: {PLACEMENT_CLIENTS} concurrent customers for {DURATION_S}s")
        results["placement"] = measure_placement(gateway, None if external else stack)
        if not external and STORED_ORDERS:
            log(f"storing {STORED_ORDERS} orders, then order placement again")
            placement.store_orders(stack.mongo_url, f"{stack.db_prefix}orders", count=STORED_ORDERS)
            results["placement_stored"] = measure_placement(gateway, stack)
            results["placement_stored"]["stored_orders"] = STORED_ORDERS
        if not external:
            log("store: indexed finds among 10,000 documents, mixed writes")
            results["store"] = store.measure(stack.mongo_url)
            log("dispatch: nearest free courier among 10,000 located couriers")
            dispatched = subprocess.run(
                [str(devstack.VENV_BIN / "python"), str(ROOT / "bench" / "dispatch.py")],
                env={**os.environ, "MONGO_URL": stack.mongo_url, "REDIS_URL": stack.redis_url},
                capture_output=True,
                text=True,
                check=True,
            )
            results["dispatch"] = json.loads(dispatched.stdout.strip().splitlines()[-1])
        if not external:
            nginx.terminate()
            nginx.wait(10)
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)

    if CITY:
        import city

        log("the city's load (bench/city.py), on a platform of its own with two gateway workers")
        results["city"] = city.measure()
    if CONSOLE:
        import console

        log("the operators' console (bench/console.py), on a platform of its own")
        results["console"] = console.measure()

    if GROWTH:
        import growth_measure

        sizes = [int(size) for size in os.environ.get("BENCH_GROWTH_SIZES", "1000,10000,100000").split(",")]
        log(f"what a request costs as the city grows (bench/growth.py), at {sizes} orders, on a platform of its own")
        growth = growth_measure.main(sizes=sizes, repeats=int(os.environ.get("BENCH_GROWTH_REPEATS", 30)))
        results["growth"] = growth["table"]

    http_rows = results["http"]

    def ratio(a: str, b: str) -> float | None:
        return round(http_rows[a]["rps"] / http_rows[b]["rps"], 2) if a in http_rows and b in http_rows else None

    results["ratios"] = {
        "gateway/nginx": ratio("menu-gateway", "menu-nginx"),
        "cached/reference": ratio("menu-cached", "reference"),
        "cached/uncached": ratio("menu-cached", "menu-uncached"),
        "positions/cached read (gateway)": results["positions"]["median"]["ratio"] if "positions" in results else None,
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    report.plot(results, OUT / "latency.png")
    report.plot_writes(results, OUT / "writes.png")
    report.print_results(results)
    if "console" in results:
        import console

        console.print_results(results["console"])
    print(f"\nwrote {OUT / 'results.json'}, {OUT / 'latency.png'} and {OUT / 'writes.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
