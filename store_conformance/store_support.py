"""What the conformance tests measure the server by: its open cursors, one round trip, a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError


def open_cursors(client: MongoClient) -> int:
    """The server's open cursors, from `serverStatus` as MongoDB reports them (the local FerretDB
    reports the same figure: tools/ferretdb/unpinned-connections.patch)."""
    return int(client.admin.command("serverStatus")["metrics"]["cursor"]["open"]["total"])


def ping_and_write_ms(db: Database) -> float:
    """One ping and one acknowledged write, in milliseconds."""
    started = time.perf_counter()
    db.client.admin.command("ping")
    db.probe.insert_one({"at": started})
    return (time.perf_counter() - started) * 1000


def wait_until(condition: Callable[[], bool], *, what: str, timeout_s: float = 60.0) -> None:
    """Polls `condition` until it holds. A server busy with what the test made it do may answer a
    poll with an error meanwhile (the local store's deadline for a free connection: that is the
    deadline doing its job); such a poll counts as "not yet"."""
    deadline = time.monotonic() + timeout_s
    while not _holds(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f}s: {what}")
        time.sleep(0.05)


def quiet_for(condition: Callable[[], bool], *, seconds: float) -> Callable[[], bool]:
    """A condition that holds once `condition` has held on every poll for `seconds` (for states
    that pass through "done" before the work that undoes it has started)."""
    since: list[float] = []

    def held() -> bool:
        if not _holds(condition):
            since.clear()
            return False
        since[:1] = since[:1] or [time.monotonic()]
        return time.monotonic() - since[0] >= seconds

    return held


def _holds(condition: Callable[[], bool]) -> bool:
    try:
        return condition()
    except PyMongoError:
        return False
