"""The growth benchmark's measurement (bench/growth.py measure): a platform of its own, loaded up to
each size in turn (bench/growth_load.py), every request timed through the gateway at each size
(bench/growth_requests.py) with the CPU each process spent on it; the table with each curve's slope,
bench/out/growth.json and the log-log plot bench/out/growth.png."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
import devstack  # noqa: E402
import growth_load  # noqa: E402
import growth_requests  # noqa: E402
from logs import logger  # noqa: E402
from procfs import cpu_ms_per, cpu_seconds  # noqa: E402

OUT = ROOT / "bench" / "out"
log = logger("growth")
# The sizes: orders tenfold; restaurants a hundredth of the orders (100 to 10,000, menus of
# 30 items); couriers a tenth (1,000 to 100,000); each size's sample customer with a thousandth of
# the orders as past orders (10 to 1,000).
LIMITS = {"restaurants": (100, 10_000, 100), "couriers": (1_000, 100_000, 10), "history": (10, 1_000, 1_000)}


def shape(orders: int) -> dict:
    """The data behind a size of `orders` orders."""
    found = {"orders": orders}
    for name, (least, most, per) in LIMITS.items():
        found[name] = max(least, min(most, orders // per))
    return found


def slope(sizes: list[int], values: list[float]) -> float | None:
    """The least-squares slope of log(value) over log(size): 0 flat, 1 linear in the data."""
    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values, strict=True) if v > 0]
    if len(points) < 2:
        return None
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return round(sum((x - mean_x) * (y - mean_y) for x, y in points) / spread, 3) if spread else None


def settle(stack, *, quiet_cores: float = 0.2, longest_s: float = 120.0) -> float:
    """Waits until the platform's processes are quiet after a load (PostgreSQL analyses and vacuums
    freshly loaded tables for a while): the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < longest_s:
        before = sum(cpu_seconds(stack).values())
        time.sleep(2)
        if (sum(cpu_seconds(stack).values()) - before) / 2 < quiet_cores:
            break
    return round(time.monotonic() - started, 1)


def measure_size(stack, gateway: str, accounts: dict, operator, repeats: int) -> dict:
    placed: list[str] = []
    probes = growth_requests.probes(gateway, accounts, operator, placed)
    rows = {}
    for name, probe in probes.items():
        before = cpu_seconds(stack)
        try:
            spent = growth_requests.timed(probe, repeats)
        except (RuntimeError, OSError) as error:
            log(f"  {name}: {error}")
            continue
        after = cpu_seconds(stack)
        cpu = cpu_ms_per(before, after, repeats + 1)
        rows[name] = {
            "p50_ms": round(statistics.median(spent), 2),
            "mean_ms": round(statistics.fmean(spent), 2),
            "p90_ms": round(sorted(spent)[int(0.9 * (len(spent) - 1))], 2),
            "cpu_ms": cpu,
            "cpu_total_ms": round(sum(cpu.values()), 2),
        }
        log(f"  {name}: p50 {rows[name]['p50_ms']} ms, CPU {rows[name]['cpu_total_ms']} ms")
    if operator is not None:
        log(f"  cancelled {growth_requests.cancel(operator, placed)} of the {len(placed)} orders placed")
    return rows


# The machine's speed at each size: sign-in's cost is its password hash's (argon2, the same work at
# every size), so its p50 moves only with what else the shared machine is doing.
YARDSTICK = "sign-in"


def summary(results: dict) -> dict:
    """Per request: p50 and CPU at each size, the slopes, the last/first ratios, and the p50 ratio
    against the machine's speed (the yardstick's own ratio divided out)."""
    sizes = [int(size) for size in results["sizes"]]
    names = sorted({name for size in results["sizes"].values() for name in size["requests"]})
    yard = [results["sizes"][str(s)]["requests"].get(YARDSTICK, {}).get("p50_ms") for s in sizes]
    machine = yard[-1] / yard[0] if all(yard) else None
    table = {}
    for name in names:
        at = [results["sizes"][str(s)]["requests"].get(name) for s in sizes]
        if any(row is None for row in at):
            continue
        p50 = [row["p50_ms"] for row in at]
        cpu = [row["cpu_total_ms"] for row in at]
        table[name] = {
            "p50_ms": p50,
            "cpu_ms": cpu,
            "slope_p50": slope(sizes, p50),
            "slope_cpu": slope(sizes, cpu),
            "ratio_p50": round(p50[-1] / p50[0], 2) if p50[0] else None,
            "ratio_cpu": round(cpu[-1] / cpu[0], 2) if cpu[0] else None,
            "ratio_p50_machine": round(p50[-1] / p50[0] / machine, 2) if p50[0] and machine else None,
        }
    return table


def print_table(results: dict) -> None:
    sizes = [int(size) for size in results["sizes"]]
    header = " | ".join(f"{s:,}" for s in sizes)
    print(
        f"\nrequest | p50 ms at {header} orders | slope | last/first | against the machine | "
        "CPU ms (all processes) | CPU slope | CPU last/first"
    )
    for name, row in results["table"].items():
        p50 = " / ".join(f"{v:g}" for v in row["p50_ms"])
        cpu = " / ".join(f"{v:g}" for v in row["cpu_ms"])
        print(
            f"{name} | {p50} | {row['slope_p50']} | {row['ratio_p50']}x | {row['ratio_p50_machine']}x | {cpu} | "
            f"{row['slope_cpu']} | {row['ratio_cpu']}x"
        )


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(size) for size in results["sizes"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6))
    for name, row in results["table"].items():
        left.plot(sizes, row["p50_ms"], marker="o", label=name)
        right.plot(sizes, row["cpu_ms"], marker="o", label=name)
    left.set(title="p50 latency through the gateway", xlabel="orders stored", ylabel="ms")
    right.set(title="CPU per request, all processes", xlabel="orders stored", ylabel="ms")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def stored_bytes(target: growth_load.Target) -> dict:
    """What the store holds for the platform's databases (dbStats: data and indexes), so RESULTS can
    give the size per order at each size."""
    from pymongo.errors import PyMongoError

    found = {"data": 0, "indexes": 0}
    try:
        for name in target.client.list_database_names():
            if name.startswith(target.db_prefix):
                stats = target.client[name].command("dbStats")
                found["data"] += int(stats.get("dataSize", 0))
                found["indexes"] += int(stats.get("indexSize", 0))
    except PyMongoError as error:  # a figure for RESULTS, never a reason to lose the run
        found["error"] = str(error)
    return found


def _operator(stack) -> dict:
    email, password = f"growth-ops-{uuid.uuid4().hex[:6]}@example.com", "growth operator passphrase"
    printed = stack.create_operator(email, password)
    secret = re.search(r"secret=([A-Z2-7]+)", printed)
    if secret is None:
        raise SystemExit(f"no TOTP secret in create_operator's output: {printed}")
    return {"email": email, "password": password, "secret": secret.group(1)}


def main(*, sizes: list[int], repeats: int) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fd-growth-"))
    prefix = f"growth_{uuid.uuid4().hex[:6]}_"
    stack = devstack.Stack(
        data_dir=work,
        free_ports=True,
        quiet=True,
        db_prefix=prefix,
        extra_env={"RATE_LIMITS_ENABLED": "false", "LOG_LEVEL": "WARNING"},
    )
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "note": "shared with other sessions: timings are noisy"},
        "repeats": repeats,
        "sizes": {},
    }
    try:
        stack.start_databases()
        stack.start_services()
        target = growth_load.Target(
            gateway=stack.gateway_url, mongo_url=stack.mongo_url, redis_url=stack.redis_url, db_prefix=prefix
        )
        operator = growth_requests.Operator(stack.gateway_url, _operator(stack))
        loaded = {"orders": 0, "restaurants": 0, "couriers": 0}
        for size in sorted(sizes):
            wanted = shape(size)
            delta = {name: max(0, wanted[name] - loaded[name]) for name in loaded}
            log(f"loading up to {size:,} orders: {delta}, {wanted['history']} past orders for the sample customer")
            started = time.monotonic()
            load = growth_load.load(target, history=wanted["history"], **delta)
            load_s = round(time.monotonic() - started, 1)
            for name in loaded:
                loaded[name] += delta[name]
            waited = settle(stack)
            log(f"loaded in {load_s} s, quiet after {waited} s more; measuring {repeats} of each request")
            results["sizes"][str(size)] = {
                "data": wanted,
                "load_s": load_s,
                "load": load["stats"],
                "stored_bytes": stored_bytes(target),
                "requests": measure_size(stack, stack.gateway_url, load["accounts"], operator, repeats),
            }
            (OUT / "growth.json").write_text(json.dumps(results, indent=2))
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["table"] = summary(results)
    (OUT / "growth.json").write_text(json.dumps(results, indent=2))
    plot(results, OUT / "growth.png")
    print_table(results)
    print(f"\nwrote {OUT / 'growth.json'} and {OUT / 'growth.png'}")
    return results
