"""What the platform's processes cost, read from /proc: CPU time (user + system) and resident memory,
each process counted with its children (PostgreSQL's backends, uvicorn's workers)."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(stack) -> dict[str, float]:
    """CPU seconds used so far by each process the stack started, with its children."""
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


def cpu_ms_per(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    """CPU milliseconds each process spent per request (or order) between two `cpu_seconds` readings,
    the costliest first; processes that spent less than 0.05 ms are left out."""
    spent = {name: (after[name] - before.get(name, 0.0)) * 1000 / max(count, 1) for name in after}
    return {name: round(ms, 2) for name, ms in sorted(spent.items(), key=lambda kv: -kv[1]) if ms >= 0.05}


def rss_kib(pid: int) -> int:
    """Resident memory of one process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn's workers), in KiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(entry.name) == pid or int(fields.get("PPid", "0").strip()) == pid:
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total
