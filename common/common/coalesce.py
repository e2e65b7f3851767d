"""Best-effort messages to another service, sent after the answer, latest per key, in batches.

For news whose latest state is all that matters (an order's status for its courier, a courier's
arrival for an order): while a batch is on its way, newer items wait and replace older ones of the
same key, so a burst costs a call per batch, not one per change. One sender thread per coalescer.
A lost batch is the receiver's reconciler's business (these are never the only path).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Coalescer:
    def __init__(self, name: str, send: Callable[[list[dict]], None], *, newer: Callable[[dict, dict], bool]):
        self.name = name
        self.send = send
        self.newer = newer  # newer(candidate, pending): whether candidate replaces pending
        self.changed = threading.Condition()
        self.pending: dict[str, dict] = {}
        self.thread: threading.Thread | None = None

    def add(self, key: str, item: dict) -> None:
        with self.changed:
            known = self.pending.get(key)
            if known is None or self.newer(item, known):
                self.pending[key] = item
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name=f"coalesce-{self.name}", daemon=True)
                self.thread.start()
            self.changed.notify()

    def _run(self) -> None:
        while True:
            with self.changed:
                self.changed.wait_for(lambda: bool(self.pending))
                batch = list(self.pending.values())
                self.pending.clear()
            try:
                self.send(batch)
            except Exception:  # the sender must outlive any failure; the receiver reconciles
                logger.exception("batch not sent", extra={"coalescer": self.name, "items": len(batch)})
