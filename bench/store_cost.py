"""What the store does for one placement and one transition (issue #42): its round trips by command
(the local store's own counters) and the CPU each process spent, per order.

    python bench/store_cost.py [--orders 40] [--couriers 20]

Starts a platform of its own (the local store: FerretDB on PostgreSQL), a restaurant, a customer and
`--couriers` free couriers located at the kitchen, then places `--orders` orders one at a time (each
assigned to a courier by dispatch, as in the city) and has the kitchen accept each. What the
platform does by itself in the same time (its background loops) is measured first and taken off.
Prints one table and the figures as JSON on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
import devstack  # noqa: E402
from placement import ADDRESS, call, new_user, seed  # noqa: E402
from procfs import cpu_seconds  # noqa: E402

METRIC = re.compile(r'^ferretdb_client_requests_total\{[^}]*command="([^"]+)"[^}]*\} (\S+)$')


def debug_port(pid: int) -> int:
    """The local store's debug listener (metrics): the port it listens on besides its own."""
    listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    ports = [int(line.split()[3].rsplit(":", 1)[1]) for line in listening.splitlines() if f"pid={pid}," in line]
    for port in ports:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/debug/metrics", timeout=2) as answer:
                if b"ferretdb_" in answer.read():
                    return port
        except OSError:
            continue
    raise SystemExit(f"no metrics listener among {ports}")


def commands(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/debug/metrics", timeout=5) as answer:
        text = answer.read().decode()
    found: dict[str, float] = {}
    for line in text.splitlines():
        if match := METRIC.match(line):
            found[match.group(1)] = found.get(match.group(1), 0.0) + float(match.group(2))
    return found


def snapshot(stack, port: int) -> tuple[dict, dict]:
    return commands(port), cpu_seconds(stack)


def delta(before: tuple[dict, dict], after: tuple[dict, dict]) -> tuple[dict, dict]:
    ops = {k: after[0].get(k, 0) - before[0].get(k, 0) for k in after[0]}
    cpu = {k: after[1][k] - before[1].get(k, 0.0) for k in after[1]}
    return ops, cpu


def per(phase: tuple[dict, dict], idle: tuple[dict, dict], idle_s: float, phase_s: float, n: int) -> dict:
    """What `phase` cost per order, the platform's own work in as long taken off."""
    scale = phase_s / idle_s
    ops = {k: round((v - idle[0].get(k, 0) * scale) / n, 2) for k, v in phase[0].items()}
    cpu = {k: round((v - idle[1].get(k, 0.0) * scale) * 1000 / n, 3) for k, v in phase[1].items()}
    return {
        "round_trips": {k: v for k, v in sorted(ops.items(), key=lambda kv: -kv[1]) if v >= 0.05},
        "round_trips_total": round(sum(v for v in ops.values() if v > 0), 2),
        "cpu_ms": {k: v for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]) if v >= 0.01},
        "store_cpu_ms": round(sum(cpu.get(k, 0.0) for k in ("ferretdb", "postgres")), 3),
    }


async def run(stack, *, orders: int, couriers: int, gap_s: float) -> dict:
    gateway = stack.gateway_url
    port = debug_port(stack.pid_of("ferretdb"))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        owner, restaurant, [(customer, body)] = await seed(session, gateway, 1)
        for _ in range(couriers):
            token = await new_user(session, gateway, "couriers")
            await call(session, "PATCH", f"{gateway}/couriers/me", token, {"available": True})
            spot = {"lat": ADDRESS["lat"] + 0.001, "lng": ADDRESS["lng"]}
            await call(session, "POST", f"{gateway}/couriers/me/location", token, spot)

        async def place() -> dict:
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            return await call(session, "POST", f"{gateway}/customers/me/orders", customer, body, headers)

        async def accept(order: dict) -> None:
            url = f"{gateway}/restaurants/{restaurant['id']}/orders/{order['id']}/status"
            await call(session, "POST", url, owner, {"status": "accepted"})

        for order in [await place() for _ in range(3)]:  # warm every path once
            await accept(order)
        await asyncio.sleep(3)

        idle_s = 10.0
        before = snapshot(stack, port)
        await asyncio.sleep(idle_s)
        idle = delta(before, snapshot(stack, port))

        started, before = time.monotonic(), snapshot(stack, port)
        placed = []
        for _ in range(orders):
            placed.append(await place())
            await asyncio.sleep(gap_s)
        await asyncio.sleep(3)  # the last dispatch passes and their projections
        placing = delta(before, snapshot(stack, port))
        placing_s = time.monotonic() - started

        started, before = time.monotonic(), snapshot(stack, port)
        for order in placed:
            await accept(order)
            await asyncio.sleep(gap_s)
        await asyncio.sleep(2)
        accepting = delta(before, snapshot(stack, port))
        accepting_s = time.monotonic() - started
    return {
        "orders": orders,
        "couriers": couriers,
        "placement": per(placing, idle, idle_s, placing_s, orders),
        "transition (accept)": per(accepting, idle, idle_s, accepting_s, orders),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--couriers", type=int, default=20)
    parser.add_argument("--gap-s", type=float, default=0.25, help="between two orders (each its own dispatch pass)")
    args = parser.parse_args()
    with devstack.Stack.benchmarked("storecost") as stack:
        found = asyncio.run(run(stack, orders=args.orders, couriers=args.couriers, gap_s=args.gap_s))
    for name in ("placement", "transition (accept)"):
        row = found[name]
        print(f"\n{name}: {row['round_trips_total']} store round trips, store CPU {row['store_cpu_ms']} ms per order")
        print("  by command:", ", ".join(f"{k} {v}" for k, v in row["round_trips"].items()))
        print("  CPU ms by process:", ", ".join(f"{k} {v}" for k, v in row["cpu_ms"].items()))
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
