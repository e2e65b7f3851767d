"""Throughput and latency at a fixed concurrency, with wrk: one run, or runs that are compared taken
in turn several times (this machine's speed changes from one ten-second run to the next, so a ratio
of two runs made one after the other says little), with the CPU each process spent per request.

BENCH_DURATION_S (10) and BENCH_CONNECTIONS (32) set every wrk run.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

from procfs import cpu_ms_per, cpu_seconds
from tokens import Minter

BENCH = Path(__file__).resolve().parent
DURATION_S = int(os.environ.get("BENCH_DURATION_S", 10))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 32))
POSITION_COURIERS = 1000
# Read and positions measured alternately this many times: one run after the other moved the ratio
# between 0.48 and 0.93 on this machine.
POSITION_PAIRS = 3
# The gateway and nginx on the cached read, alternately this many times, for the same reason.
PROXY_PAIRS = 3


def wrk(url: str, *, script: str = "wrk_report.lua", env: dict | None = None) -> dict:
    """One wrk run against `url`: what bench/wrk_report.lua reports (requests, rps, percentiles in
    microseconds, errors, non-2xx answers)."""
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{DURATION_S}s",
            "--timeout",
            "10s",
            "-s",
            str(BENCH / script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_REPORT_LUA": str(BENCH / "wrk_report.lua"), **(env or {})},
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("{"))
    return json.loads(line)


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
            pair[f"{name}_cpu_ms"] = cpu_ms_per(before, cpu_seconds(stack), pair[name]["requests"])
        pair["ratio"] = round(pair[ratio[0]]["rps"] / max(pair[ratio[1]]["rps"], 0.001), 2)
        measured.append(pair)
    measured.sort(key=lambda pair: pair["ratio"])
    return {"median": measured[len(measured) // 2], "ratios": [pair["ratio"] for pair in measured]}


def measure_positions(stack, gateway: str, world: dict, work: Path, read_url: str) -> dict:
    """POST /couriers/me/location through the gateway against the cached read through the gateway
    (`read_url`), alternately POSITION_PAIRS times with the same wrk settings: couriers' tokens
    (signed with the platform's key) round robin, and the CPU each process spent per report and per
    read."""
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


def measure_proxies(stack, gateway_url: str, nginx_url: str) -> dict:
    """The cached read through the gateway and through nginx, alternately PROXY_PAIRS times with the
    same wrk settings, and the CPU each process of the platform spent per read (nginx's own is not
    counted)."""
    runs = {"gateway": lambda: wrk(gateway_url), "nginx": lambda: wrk(nginx_url)}
    return alternately(stack, runs, ratio=("gateway", "nginx"), pairs=PROXY_PAIRS)
