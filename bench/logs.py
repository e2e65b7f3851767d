"""Progress lines of the benchmark runs, printed at once: a run takes minutes, and its lines say where
it is."""

from __future__ import annotations

from collections.abc import Callable


def logger(prefix: str) -> Callable[[str], None]:
    """A `log(message)` that prints `[prefix] message`."""

    def log(message: str) -> None:
        print(f"[{prefix}] {message}", flush=True)

    return log
