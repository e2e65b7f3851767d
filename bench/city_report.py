"""What bench/city.py shows of its figures: the summary lines (also printed by `make bench`) and
bench/out/city.png."""

from __future__ import annotations

from pathlib import Path


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(18, 5))
    if "city" in results:
        ops = results["city"]["operations"]
        names = list(ops)
        ys = range(len(names))
        left.barh([y + 0.2 for y in ys], [ops[n]["p50_ms"] for n in names], height=0.4, label="p50")
        left.barh([y - 0.2 for y in ys], [ops[n]["p99_ms"] for n in names], height=0.4, label="p99")
        left.set_yticks(list(ys), names)
        left.set(title=f"The city for {results['city']['seconds']} s: latency by operation", xlabel="ms")
        left.legend()
        cpu = results["city"]["cpu_ms_per_s_by_process"]
        middle.barh(list(cpu), [v / 10 for v in cpu.values()])
        middle.set(title="CPU by process during the city (% of one core)", xlabel="%")
    if "storm" in results:
        curve = results["storm"]["curve"]
        right.plot(curve, [n / max(len(curve) - 1, 1) * results["storm"]["streaming"] for n in range(len(curve))])
        right.axvline(30, color="grey", linestyle="--", label="target: all within 30 s")
        right.set(
            title=f"Reconnect storm: {results['storm']['clients']} clients within 1 s",
            xlabel="seconds since the storm began",
            ylabel="clients streaming",
        )
        right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def print_summary(results: dict) -> None:
    s = results.get("streams")
    if s:
        print(
            f"streams: {s['streams_open']}/{s['streams_requested']} open in {s['seconds_to_open']}s; "
            f"{s['events_received']}/{s['events_expected']} events, delay p50 {s['event_delay']['p50_ms']} ms, "
            f"p99 {s['event_delay']['p99_ms']} ms; memory per stream {s['kib_per_stream_total']} KiB "
            f"({s['kib_per_stream']})"
        )
    st = results.get("storm")
    if st:
        print(
            f"storm: {st['streaming']}/{st['clients']} streaming again after {st['seconds_until_all_streaming']}s "
            f"({st['attempts']} attempts, refused {st['refused']}, broken {st['broken']}); ordinary requests "
            f"meanwhile {st['ordinary_requests']['statuses']}, p99 {st['ordinary_requests']['p99_ms']} ms"
        )
    c = results.get("city")
    if c:
        print(f"city ({c['seconds']}s, {c['couriers']} couriers, {c['tracking_streaming']} streams, 3 boards):")
        for name, row in c["operations"].items():
            print(f"  {name:<15} {c['per_second'][name]:>7}/s  p50 {row['p50_ms']:>7} ms  p99 {row['p99_ms']:>7} ms")
        print(f"  errors {c['errors']}; CPU ms per second by process {c['cpu_ms_per_s_by_process']}")
