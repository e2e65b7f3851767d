"""What `make bench` shows of its figures: the table and summary lines it prints, and its plots
(bench/out/latency.png for the reads, bench/out/writes.png for placement and transitions)."""

from __future__ import annotations

import os
from pathlib import Path

import city_report


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    percentiles = [50, 75, 90, 95, 99]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for name, row in results["http"].items():
        left.plot(percentiles, [row[f"p{p}_us"] / 1000 for p in percentiles], marker="o", label=name)
    connections = results["settings"]["connections"]
    left.set(title=f"Latency percentiles at {connections} connections", xlabel="percentile", ylabel="ms")
    left.set_yscale("log")
    left.legend()
    names = list(results["http"])
    right.barh(names, [results["http"][n]["rps"] for n in names])
    right.set(title="Throughput", xlabel="requests/s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


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
    clients = next(iter(rows.values()))["clients"]
    left.set(title=f"Write latency at {clients} concurrent clients", ylabel="ms")
    left.legend()
    rates = {label: row.get("orders_per_s", row.get("transitions_per_s")) for label, row in rows.items()}
    right.barh(list(rates), list(rates.values()))
    right.axvline(100, color="grey", linestyle="--")
    right.set(title="Throughput (orders/s; transitions/s)", xlabel="per second")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def print_results(results: dict) -> None:
    http_rows = results["http"]
    print(f"\n{'measurement':<15} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'non-2xx':>8}")
    for name, row in http_rows.items():
        print(
            f"{name:<15} {row['rps']:>9.1f} {row['p50_us'] / 1000:>8.2f} {row['p95_us'] / 1000:>8.2f} "
            f"{row['p99_us'] / 1000:>8.2f} {row['errors']:>7} {row['non_2xx']:>8}"
        )
    print("\nratios (throughput): " + ", ".join(f"{k} = {v}" for k, v in results["ratios"].items()))
    stored = results.get("placement_stored", {}).get("stored_orders")
    for key, label in (("placement", "empty store"), ("placement_stored", f"after {stored} stored orders")):
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
        city_report.print_summary(results["city"])
