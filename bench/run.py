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
(1000), BENCH_CITY (1; 0 skips bench/city.py: 10,000 streams, the reconnect storm, the city), GATEWAY_URL +
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
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import devstack  # noqa: E402
import placement  # noqa: E402
import store  # noqa: E402
import transitions  # noqa: E402

OUT = ROOT / "bench" / "out"
DURATION_S = int(os.environ.get("BENCH_DURATION_S", 10))
TRANSITIONS = os.environ.get("BENCH_TRANSITIONS", "1") != "0"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 32))
PLACEMENT_CLIENTS = int(os.environ.get("BENCH_PLACEMENT_CLIENTS", 20))
STORED_ORDERS = int(os.environ.get("BENCH_STORED_ORDERS", 50_000))
STREAMS = int(os.environ.get("BENCH_STREAMS", 1000))
CITY = os.environ.get("BENCH_CITY", "1") != "0"
ORDERS_FOR_STREAMS = 50
MENU_ITEMS = 20


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def wrk(url: str, *, script: str = "wrk_report.lua", env: dict | None = None) -> dict:
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{DURATION_S}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_REPORT_LUA": str(ROOT / "bench" / "wrk_report.lua"), **(env or {})},
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("{"))
    return json.loads(line)


def http(method: str, url: str, token: str | None = None, body: dict | None = None, headers=None) -> dict:
    import requests

    all_headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    response = requests.request(method, url, json=body, headers=all_headers, timeout=30)
    if response.status_code >= 400:
        raise SystemExit(f"{method} {url}: {response.status_code} {response.text}")
    return response.json() if response.content else {}


def seed(gateway: str) -> dict:
    def user(kind: str) -> dict:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        http(
            "POST",
            f"{gateway}/{kind}/register",
            body={"email": email, "password": "correct horse battery", "name": "Bench"},
        )
        return http("POST", f"{gateway}/{kind}/login", body={"email": email, "password": "correct horse battery"})

    owner = user("restaurants")
    restaurant = http(
        "POST",
        f"{gateway}/restaurants",
        owner["access"],
        {
            "name": "Bench Bistro",
            "cuisine": "bench",
            "address": {"line1": "1 A", "city": "B", "postcode": "1", "lat": 1, "lng": 1},
        },
    )
    items = [
        http(
            "POST",
            f"{gateway}/restaurants/{restaurant['id']}/menu/items",
            owner["access"],
            {"name": f"Dish {n}", "description": "x" * 80, "price_cents": 1000 + n},
        )
        for n in range(MENU_ITEMS)
    ]
    customer = user("customers")
    address = http(
        "POST",
        f"{gateway}/customers/me/addresses",
        customer["access"],
        {"label": "Home", "line1": "2 C", "city": "B", "postcode": "2", "lat": 1, "lng": 1},
    )
    order_body = {
        "restaurant_id": restaurant["id"],
        "address_id": address["id"],
        "items": [{"menu_item_id": items[0]["id"], "quantity": 2}],
    }
    return {"owner": owner, "customer": customer, "restaurant": restaurant, "order_body": order_body}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def measure_streams(gateway: str, world: dict, pids: dict[str, int]) -> dict:
    import httpx

    customer, owner = world["customer"]["access"], world["owner"]["access"]
    restaurant_id = world["restaurant"]["id"]
    limits = httpx.Limits(max_connections=STREAMS + 100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=gateway, limits=limits, timeout=httpx.Timeout(60, connect=30)) as client:
        orders = []
        for n in range(ORDERS_FOR_STREAMS):
            response = await client.post(
                "/customers/me/orders",
                json=world["order_body"],
                headers={"Authorization": f"Bearer {customer}", "Idempotency-Key": f"stream-{uuid.uuid4().hex}-{n}"},
            )
            orders.append(response.json()["id"])
        memory_before = {name: rss_kib(pid) for name, pid in pids.items()}
        opened, arrivals = asyncio.Event(), []
        ready = 0

        async def follow(order_id: str) -> None:
            headers = {"Authorization": f"Bearer {customer}"}
            while True:  # shed while too many open at once: back after Retry-After, as EventSource is
                async with client.stream("GET", f"/orders/{order_id}/events", headers=headers) as response:
                    if response.status_code == 200:
                        await read(response)
                        return
                    await response.aread()
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))

        async def read(response) -> None:
            nonlocal ready
            first = True
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                if first:
                    first = False
                    ready += 1
                    if ready == STREAMS:
                        opened.set()
                    continue
                event = json.loads(line[5:])
                if "status" not in event or not event.get("at"):
                    continue  # an `estimate` event (the delivery promise), not a transition
                at = time.time()
                sent = time.mktime(time.strptime(event["at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
                sent += float("0." + event["at"][20:26]) if len(event["at"]) > 20 else 0.0
                arrivals.append(at - sent)
                if event["status"] == "rejected":
                    return

        started = time.monotonic()
        tasks = [asyncio.create_task(follow(orders[n % len(orders)])) for n in range(STREAMS)]
        try:
            await asyncio.wait_for(opened.wait(), timeout=120)
        except TimeoutError:
            log(f"only {ready} of {STREAMS} streams opened")
        open_s = time.monotonic() - started
        memory_open = {name: rss_kib(pid) for name, pid in pids.items()}
        for order_id in orders:  # one final transition per order: every stream gets one event and ends
            await client.post(
                f"/restaurants/{restaurant_id}/orders/{order_id}/status",
                json={"status": "rejected"},
                headers={"Authorization": f"Bearer {owner}"},
            )
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=120)
    delays = sorted(arrivals)

    def pct(p: float) -> float:
        return round(delays[min(len(delays) - 1, int(p / 100 * len(delays)))] * 1000, 1) if delays else float("nan")

    return {
        "streams_requested": STREAMS,
        "streams_open": ready,
        "seconds_to_open_all": round(open_s, 2),
        "events_received": len(delays),
        "delay_p50_ms": pct(50),
        "delay_p95_ms": pct(95),
        "delay_p99_ms": pct(99),
        "rss_kib_before": memory_before,
        "rss_kib_with_streams": memory_open,
        "kib_per_stream": {name: round((memory_open[name] - memory_before[name]) / max(ready, 1), 1) for name in pids},
    }


POSITION_COURIERS = 1000
# Read and positions measured alternately this many times: one run after the other moved the ratio
# between 0.48 and 0.93 on this machine, whose speed changes from one ten-second run to the next.
POSITION_PAIRS = 3


def alternately(stack, runs: dict, *, ratio: tuple[str, str], pairs: int) -> dict:
    """The wrk runs of `runs` (name: a function making one) in turn, `pairs` times, each with the CPU
    each process of the platform spent per request (`<name>_cpu_ms`) and the throughput ratio of
    `ratio[0]` to `ratio[1]`. The median pair by ratio is the figure."""
    measured = []
    for _ in range(pairs):
        pair = {}
        for name, run in runs.items():
            before = cpu_seconds(stack)
            pair[name] = run()
            pair[f"{name}_cpu_ms"] = cpu_ms_per_order(before, cpu_seconds(stack), pair[name]["requests"])
        pair["ratio"] = round(pair[ratio[0]]["rps"] / max(pair[ratio[1]]["rps"], 0.001), 2)
        measured.append(pair)
    measured.sort(key=lambda pair: pair["ratio"])
    return {"median": measured[len(measured) // 2], "ratios": [pair["ratio"] for pair in measured]}


def measure_positions(stack, gateway: str, world: dict, work: Path, read_url: str) -> dict:
    """POST /couriers/me/location through the gateway against the cached read through the gateway
    (`read_url`), alternately POSITION_PAIRS times with the same wrk settings: couriers' tokens
    (signed with the platform's key, bench/city.py) round robin, and the CPU each process spent per
    report and per read."""
    from city import Minter

    minter = Minter(stack.data_dir / "secrets" / "jwt-private.pem", world["customer"]["access"])
    tokens = work / "courier-tokens.txt"
    tokens.write_text("\n".join(minter.token(uuid.uuid4().hex[:24], "courier") for _ in range(POSITION_COURIERS)))
    runs = {
        "read": lambda: wrk(read_url),
        "positions": lambda: wrk(
            gateway + "/couriers/me/location", script="wrk_positions.lua", env={"BENCH_TOKENS_FILE": str(tokens)}
        ),
    }
    return alternately(stack, runs, ratio=("positions", "read"), pairs=POSITION_PAIRS)


# The gateway and nginx on the cached read, alternately this many times, for the same reason.
PROXY_PAIRS = 3


def measure_proxies(stack, gateway_url: str, nginx_url: str) -> dict:
    """The cached read through the gateway and through nginx, alternately PROXY_PAIRS times with the
    same wrk settings, and the CPU each process of the platform spent per read (nginx's own is not
    counted)."""
    runs = {"gateway": lambda: wrk(gateway_url), "nginx": lambda: wrk(nginx_url)}
    return alternately(stack, runs, ratio=("gateway", "nginx"), pairs=PROXY_PAIRS)


def start_nginx(work: Path, upstream_port: int) -> tuple[subprocess.Popen, int]:
    port = devstack.free_port()
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {work}/client_body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  upstream restaurant {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://restaurant;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }}
  }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    devstack.wait_for(lambda: devstack.port_open(port), timeout_s=10, what="nginx")
    return process, port


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    percentiles = [50, 75, 90, 95, 99]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for name, row in results["http"].items():
        left.plot(percentiles, [row[f"p{p}_us"] / 1000 for p in percentiles], marker="o", label=name)
    left.set(title=f"Latency percentiles at {CONNECTIONS} connections", xlabel="percentile", ylabel="ms")
    left.set_yscale("log")
    left.legend()
    names = list(results["http"])
    right.barh(names, [results["http"][n]["rps"] for n in names])
    right.set(title="Throughput", xlabel="requests/s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def cpu_seconds(stack) -> dict[str, float]:
    """CPU time (user + system) used so far by each process the stack started, with its children
    (PostgreSQL's backends, uvicorn's workers), read from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, cpu seconds)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)

    def tree(pid: int) -> float:
        return stats.get(pid, (0, 0.0))[1] + sum(tree(child) for child in children.get(pid, []))

    return {process.name: tree(process.popen.pid) for process in stack.processes}


def cpu_ms_per_order(before: dict[str, float], after: dict[str, float], orders: int) -> dict[str, float]:
    spent = {name: (after[name] - before.get(name, 0.0)) * 1000 / max(orders, 1) for name in after}
    return {name: round(ms, 2) for name, ms in sorted(spent.items(), key=lambda kv: -kv[1]) if ms >= 0.05}


def measure_placement(gateway: str, stack) -> dict:
    """Placement at PLACEMENT_CLIENTS; with our own stack, also where each order's CPU went over the
    measured window: N cores give N x 1,000 ms of CPU per second, which bounds orders/s from above
    whatever the latency."""
    probe = (lambda: cpu_seconds(stack)) if stack else None
    result = asyncio.run(placement.measure(gateway, clients=PLACEMENT_CLIENTS, seconds=DURATION_S, probe=probe))
    if stack:
        cpu_before, cpu_after = result.pop("probe")
        result["cpu_ms_per_order"] = cpu_ms_per_order(cpu_before, cpu_after, result["orders"])
        total = sum(result["cpu_ms_per_order"].values())
        result["cpu_bound_orders_per_s"] = round(1000 * (os.cpu_count() or 1) / max(total, 0.001), 1)
    return result


def plot_writes(results: dict, path: Path) -> None:
    """The write path: placement (empty store, after the stored orders) and transitions, p50/p95/p99
    against the #16 target, and their throughput."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = {
        label: results[key]
        for key, label in (
            ("placement", "placement, empty store"),
            ("placement_stored", "placement, after stored orders"),
            ("transitions", "transitions"),
        )
        if key in results
    }
    if not rows:
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for label, row in rows.items():
        left.plot(["p50", "p95", "p99"], [row["p50_ms"], row["p95_ms"], row["p99_ms"]], marker="o", label=label)
    left.axhline(150, color="grey", linestyle="--", label="#16 target: p99 150 ms")
    left.set(title=f"Write latency at {PLACEMENT_CLIENTS} concurrent clients", ylabel="ms")
    left.legend()
    rates = {label: row.get("orders_per_s", row.get("transitions_per_s")) for label, row in rows.items()}
    right.barh(list(rates), list(rates.values()))
    right.axvline(100, color="grey", linestyle="--")
    right.set(title="Throughput (orders/s; transitions/s)", xlabel="per second")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for tool in ("wrk",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed: apt-get install wrk nginx-light (make bench does)")
    external = os.environ.get("GATEWAY_URL")
    work = Path(tempfile.mkdtemp(prefix="fd-bench-"))
    stack = devstack.Stack(
        data_dir=work,
        free_ports=True,
        quiet=True,
        db_prefix=f"bench_{uuid.uuid4().hex[:6]}_",
        # The live tracking measurement is one customer's STREAMS streams (the per-user cap is
        # for hostile clients; bench/city.py measures streams at scale with thousands of users).
        extra_env={
            "RATE_LIMITS_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "SSE_MAX_STREAMS_PER_USER": str(STREAMS + 10),
        },
    )
    extras: list = []
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
            ref_port = devstack.free_port()
            extras.append(
                stack._start(
                    "reference",
                    [
                        str(devstack.VENV_BIN / "uvicorn"),
                        "reference_app:application",
                        "--app-dir",
                        str(ROOT / "bench"),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(ref_port),
                        "--no-access-log",
                        "--no-proxy-headers",
                        "--lifespan",
                        "off",
                    ],
                )
            )
            devstack.wait_for(
                lambda: devstack.http_status(f"http://127.0.0.1:{ref_port}/reference") == 200,
                timeout_s=30,
                what="reference app",
            )
            uncached_port = devstack.free_port()
            stack.start_instance(
                "restaurant-nocache", "restaurant", uncached_port, {"RESTAURANT_CACHE_ENABLED": "false"}
            )
            nginx, nginx_port = start_nginx(work / "nginx", stack.ports["restaurant"])
            runs["reference"] = f"http://127.0.0.1:{ref_port}/reference"
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
            results["streams"] = asyncio.run(measure_streams(gateway, world, pids))
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
    plot(results, OUT / "latency.png")
    plot_writes(results, OUT / "writes.png")

    print(f"\n{'measurement':<15} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'non-2xx':>8}")
    for name, row in http_rows.items():
        print(
            f"{name:<15} {row['rps']:>9.1f} {row['p50_us'] / 1000:>8.2f} {row['p95_us'] / 1000:>8.2f} "
            f"{row['p99_us'] / 1000:>8.2f} {row['errors']:>7} {row['non_2xx']:>8}"
        )
    print("\nratios (throughput): " + ", ".join(f"{k} = {v}" for k, v in results["ratios"].items()))
    for key, label in (("placement", "empty store"), ("placement_stored", f"after {STORED_ORDERS} stored orders")):
        if key in results:
            p = results[key]
            print(
                f"placement ({label}), {p['clients']} concurrent customers: {p['orders_per_s']} orders/s, "
                f"p50 {p['p50_ms']} ms, p95 {p['p95_ms']} ms, p99 {p['p99_ms']} ms, errors {p['errors']}"
            )
    for key in ("placement", "placement_stored"):
        if "cpu_ms_per_order" in results.get(key, {}):
            p = results[key]
            total = round(sum(p["cpu_ms_per_order"].values()), 1)
            print(
                f"{key} CPU per order: {total} ms ({p['cpu_ms_per_order']}); "
                f"{os.cpu_count()} cores allow at most {p['cpu_bound_orders_per_s']} orders/s"
            )
    if "transitions" in results:
        t = results["transitions"]
        print(
            f"transitions, {t['clients']} kitchens and {t['clients']} couriers: {t['transitions_per_s']} transitions/s, "
            f"p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms, p99 {t['p99_ms']} ms; {t['lifecycles']} lifecycles "
            f"accepted -> delivered, p50 {t['lifecycle_p50_ms']} ms; errors {t['errors']}"
        )
        told, ready = t["courier_told_assigned_ms"], t["courier_told_ready_ms"]
        print(
            f"  a courier's feed tells of the assignment p50 {told['p50_ms']} ms, p99 {told['p99_ms']} ms; "
            f"that the food is ready p50 {ready['p50_ms']} ms, p99 {ready['p99_ms']} ms"
        )
    if "store" in results:
        st = results["store"]
        print(
            f"store: indexed equality find among {st['documents']} documents p50 {st['indexed_find']['p50_ms']} ms, "
            f"p99 {st['indexed_find']['p99_ms']} ms; 20 ids by $in p50 {st['find_20_ids_in']['p50_ms']} ms; "
            f"{st['mixed_writes_per_s']} mixed writes/s"
        )
    if "dispatch" in results:
        d = results["dispatch"]
        print(
            f"dispatch: nearest free courier among {d['couriers']} located couriers, {d['orders']} orders: "
            f"p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms, p99 {d['p99_ms']} ms"
        )
    if "streams" in results:
        s = results["streams"]
        print(
            f"streams: {s['streams_open']}/{s['streams_requested']} open in {s['seconds_to_open_all']}s; "
            f"event delay p50 {s['delay_p50_ms']} ms, p95 {s['delay_p95_ms']} ms, p99 {s['delay_p99_ms']} ms "
            f"({s['events_received']} events); memory per stream KiB: {s['kib_per_stream']}"
        )
    if "proxies" in results:
        median = results["proxies"]["median"]
        print(
            f"gateway / nginx on the cached read, alternately: {results['proxies']['ratios']} "
            f"(median pair: {median['gateway']['rps']:.0f} / {median['nginx']['rps']:.0f} req/s); CPU per read "
            f"by process (ms), through the gateway: {median['gateway_cpu_ms']}, through nginx: {median['nginx_cpu_ms']}"
        )
    if "positions" in results:
        median = results["positions"]["median"]
        print(
            f"positions / cached read through the gateway, alternately: {results['positions']['ratios']} "
            f"(median pair: {median['positions']['rps']:.0f} / {median['read']['rps']:.0f} req/s)"
        )
        print(f"CPU per position report by process (ms): {results['positions_cpu_ms']}")
        print(f"CPU per cached read through the gateway by process (ms): {results['read_cpu_ms']}")
    if "city" in results:
        import city

        city.print_summary(results["city"])
    print(f"\nwrote {OUT / 'results.json'}, {OUT / 'latency.png'} and {OUT / 'writes.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
