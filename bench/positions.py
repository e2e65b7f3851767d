"""Position reports straight to the delivery service, and what each costs it (bench/RESULTS.md, #38).

    flock /tmp/bench.lock .venv/bin/python bench/positions.py [--runs 4] [--seconds 8] [--profile FILE]

Starts a platform of this tree (free ports, rate limits off), then `wrk -c8` posts positions of
1,000 couriers round robin (bench/wrk_positions.lua) to the delivery service itself, not through the
gateway: the process that answers them is the one measured. One line of JSON per run: reports per
second, p50 and p99, and the CPU the delivery process and Redis spent per report. With `--profile`,
the first run is recorded by py-spy (`-f raw`, 200 Hz) into FILE; read its figures apart from the
others' (py-spy slows what it samples).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import devstack  # noqa: E402
from procfs import cpu_seconds  # noqa: E402

COURIERS = 1000


def courier_tokens(private_key_pem: str, count: int) -> list[str]:
    """Access tokens of `count` couriers who never signed up, signed with the platform's key."""
    now = int(time.time())
    claims = {"user_type": "courier", "role": "user", "token_type": "access", "iat": now, "exp": now + 3600}
    claims |= {"iss": "food-delivery-auth", "aud": "food-delivery"}
    return [
        jwt.encode(
            {**claims, "sub": uuid.uuid4().hex[:24], "jti": uuid.uuid4().hex}, private_key_pem, algorithm="RS256"
        )
        for _ in range(count)
    ]


def wrk(url: str, seconds: int, tokens: Path) -> dict:
    env = {**os.environ, "BENCH_REPORT_LUA": str(ROOT / "bench/wrk_report.lua"), "BENCH_TOKENS_FILE": str(tokens)}
    command = ["wrk", "-t1", "-c8", f"-d{seconds}s", "-s", str(ROOT / "bench/wrk_positions.lua"), url]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("{")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--profile", help="py-spy's raw samples of the first run, into this file")
    args = parser.parse_args()
    with devstack.Stack.benchmarked("positions") as stack:
        work = stack.data_dir
        tokens = work / "courier-tokens.txt"
        private_key = (work / "secrets" / "jwt-private.pem").read_text()
        tokens.write_text("\n".join(courier_tokens(private_key, COURIERS)))
        url = f"http://127.0.0.1:{stack.ports['delivery']}/couriers/me/location"
        wrk(url, 3, tokens)  # warm-up
        for run in range(args.runs):
            spy = None
            if args.profile and run == 0:
                record = ["record", "-p", str(stack.pid_of("delivery")), "-r", "200", "-d", str(args.seconds - 1)]
                spy = subprocess.Popen(
                    [str(ROOT / ".venv/bin/py-spy"), *record, "-f", "raw", "-o", args.profile],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                )
            before = cpu_seconds(stack)
            result = wrk(url, args.seconds, tokens)
            after = cpu_seconds(stack)
            if spy is not None:
                spy.wait()
            per_report = {
                name: round((after[name] - before.get(name, 0.0)) * 1e6 / max(result["requests"], 1))
                for name in ("delivery", "redis")
                if name in after
            }
            line = {"run": run, "profiled": spy is not None, "reports_per_s": round(result["rps"])}
            line |= {"p50_us": result["p50_us"], "p99_us": result["p99_us"], "non_2xx": result["non_2xx"]}
            print(json.dumps({**line, "errors": result["errors"], "cpu_us_per_report": per_report}), flush=True)


if __name__ == "__main__":
    main()
