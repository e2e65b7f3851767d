"""A burst of sign-ups at once through the gateway, and what the password hashing makes of it
(bench/RESULTS.md, "Sign-up bursts").

    flock /tmp/bench.lock .venv/bin/python bench/signups.py [--count 200] [--hasher django]

Starts a platform of this tree (free ports, rate limits off), sends `--count` customer sign-ups
all at once, then one sign-in of each as a second burst, and prints one line of JSON per burst:
the answers by status, p50/p95/max and the burst's wall time. `--hasher django` runs the platform
with Django's own Argon2 cost instead of the project's (accounts/hashers.py), for the comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import devstack  # noqa: E402

PASSWORD = "burst-of-customers-42"
HASHERS = {"project": "accounts.hashers.Argon2idHasher", "django": "django.contrib.auth.hashers.Argon2PasswordHasher"}


async def burst(client: httpx.AsyncClient, path: str, emails: list[str]) -> dict:
    async def one(email: str) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            answer = await client.post(path, json={"email": email, "password": PASSWORD, "name": "Burst"})
            status = answer.status_code
        except httpx.HTTPError:
            status = 0  # no answer within the client's 60 s
        return status, (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    results = await asyncio.gather(*(one(email) for email in emails))
    times = sorted(ms for _status, ms in results)
    return {
        "path": path,
        "statuses": dict(Counter(str(status) for status, _ms in results)),
        "p50_ms": round(statistics.median(times)),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))]),
        "max_ms": round(times[-1]),
        "wall_s": round(time.perf_counter() - started, 1),
    }


async def measure(gateway: str, count: int) -> list[dict]:
    emails = [f"burst-{uuid.uuid4().hex[:10]}@example.com" for _ in range(count)]
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=gateway, timeout=60, limits=limits) as client:
        return [await burst(client, "/customers/register", emails), await burst(client, "/customers/login", emails)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--hasher", choices=sorted(HASHERS), default="project")
    args = parser.parse_args()
    env = {"PASSWORD_HASHER": HASHERS[args.hasher]}
    with devstack.Stack.benchmarked("signups", extra_env=env) as stack:
        for line in asyncio.run(measure(stack.gateway_url, args.count)):
            print(json.dumps({"hasher": args.hasher, "count": args.count, **line}))


if __name__ == "__main__":
    main()
