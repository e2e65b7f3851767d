"""Where an open stream's memory goes: Python's allocations per open stream in the running gateway
and order service, by the library that made them (issue #23's 48 KiB target).

    python bench/stream_memory.py [STREAMS]     # 300 by default; prints a table per process

Starts its own platform (one process per service) with a `sitecustomize` on the services'
PYTHONPATH that turns `tracemalloc` on at the first SIGUSR1 and writes a snapshot at the second:
tracing from start-up would slow Django's imports past the tooling's readiness timeout. The tracer
starts after a warm-up (as many streams opened and closed as are then measured, so pools and caches
have grown to what that many opens at once need: with 50, the order service's Redis pool grew while
traced and counted as 0.5-3 KiB per stream), the snapshot is taken with STREAMS streams open, so what
it holds is what the open streams hold. Resident memory
adds the allocator's slack to these figures; `make bench` measures that (`kib_per_stream`).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import devstack  # noqa: E402
import seeding  # noqa: E402

_SITECUSTOMIZE = """
import gc, os, signal, tracemalloc
def _toggle(*_):
    gc.collect()
    if not tracemalloc.is_tracing():
        tracemalloc.start(12)
    else:
        tracemalloc.take_snapshot().dump(os.path.join(os.environ["STREAM_MEMORY_DIR"], f"{os.getpid()}.snap"))
signal.signal(signal.SIGUSR1, _toggle)
"""


class _Opened:
    """How many streams have shown their first event; `all` is set when `wanted` have."""

    def __init__(self, wanted: int):
        self.count, self.wanted, self.all = 0, wanted, asyncio.Event()

    def one(self) -> None:
        self.count += 1
        if self.count >= self.wanted:
            self.all.set()


async def _follow(client: httpx.AsyncClient, order_id: str, token: str, opened: _Opened) -> None:
    """Holds one stream open; shed opens come back after their Retry-After, as EventSource does."""
    while True:
        async with client.stream(
            "GET", f"/orders/{order_id}/events", headers={"Authorization": f"Bearer {token}"}
        ) as r:
            if r.status_code != 200:
                await r.aread()
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            counted = False
            async for line in r.aiter_lines():
                if line.startswith("data:") and not counted:
                    opened.one()
                    counted = True


async def _open(client, orders: list[str], token: str, count: int) -> list[asyncio.Task]:
    opened = _Opened(count)
    tasks = [asyncio.create_task(_follow(client, orders[n % len(orders)], token, opened)) for n in range(count)]
    await opened.all.wait()
    return tasks


def by_library(snapshot: tracemalloc.Snapshot) -> dict[str, int]:
    """Bytes by the innermost frame in a library or in this repository (its file), so asyncio's
    objects count for whoever made them."""
    sizes: dict[str, int] = {}
    for stat in snapshot.statistics("traceback"):
        owner = "Python's standard library"
        for frame in reversed(stat.traceback):
            if found := re.search(r"site-packages/([^/]+)/", frame.filename):
                owner = found.group(1)
                break
            if frame.filename.startswith(str(ROOT)):
                owner = str(Path(frame.filename).relative_to(ROOT))
                break
        sizes[owner] = sizes.get(owner, 0) + stat.size
    return sizes


def main() -> int:
    streams = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    work = Path(tempfile.mkdtemp(prefix="stream-memory-"))
    (work / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(work), os.environ.get("PYTHONPATH")]))
    os.environ["STREAM_MEMORY_DIR"] = str(work)
    stack = devstack.Stack.for_benchmark(work, "mem", extra_env={"SSE_MAX_STREAMS_PER_USER": "5000"})

    def signal_both() -> None:
        for pid in pids.values():
            os.kill(pid, signal.SIGUSR1)
        time.sleep(8)  # a snapshot of a few hundred MB of traces takes seconds on two cores

    async def measure(world: dict) -> None:
        token = world["customer"]["access"]
        limits = httpx.Limits(max_connections=2 * streams + 20)
        async with httpx.AsyncClient(base_url=stack.gateway_url, limits=limits, timeout=60) as client:
            orders = []
            for _ in range(10):
                headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
                placed = await client.post("/customers/me/orders", json=world["order_body"], headers=headers)
                orders.append(placed.json()["id"])
            for task in await _open(client, orders, token, streams):
                task.cancel()
            await asyncio.sleep(3)
            await asyncio.to_thread(signal_both)
            held = await _open(client, orders, token, streams)
            await asyncio.sleep(2)
            await asyncio.to_thread(signal_both)
            for task in held:
                task.cancel()

    pids: dict[str, int] = {}
    try:  # a readiness timeout must not leave the services started before it running
        stack.start_databases()
        stack.start_services()
        pids.update({p.name: p.popen.pid for p in stack.processes if p.name in ("gateway", "order")})
        asyncio.run(measure(seeding.seed(stack.gateway_url)))
    finally:
        stack.stop()
    for name, pid in pids.items():
        sizes = by_library(tracemalloc.Snapshot.load(str(work / f"{pid}.snap")))
        print(f"{name}: {sum(sizes.values()) / 1024 / streams:.1f} KiB of Python allocations per open stream")
        for owner, size in sorted(sizes.items(), key=lambda item: -item[1])[:8]:
            print(f"  {size / 1024 / streams:5.1f} KiB  {owner}")
    shutil.rmtree(work, ignore_errors=True)  # the platform's data and snapshots of hundreds of MB
    return 0


if __name__ == "__main__":
    sys.exit(main())
