"""Event ids: the history's own (Redis stream ids, `ms-seq`, in time order) and the polling ids.

A client resumes from the id of the last event it got (`Last-Event-ID`). Only an id the history
can hold is worth looking up; anything else (garbage, a polling id) is unknown, and an unknown id
gets a fresh snapshot, never an error. A stream that polls MongoDB (Redis away) sends polling ids,
`p<ms>-<n>`, which no history holds: a client that resumes from one gets a snapshot.
"""

from __future__ import annotations

import itertools
import re
import time

# A Redis stream id, as the history's entries carry it. Anything else is an id the platform never gave.
_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")

_poll_ids = itertools.count(1)


def valid_last_event_id(value: str | None) -> str | None:
    """The client's `Last-Event-ID` if it can be one of the history's ids; anything else (garbage,
    an id from polling) is treated as unknown: the client gets a fresh snapshot."""
    value = (value or "").strip()
    return value if _STREAM_ID.match(value) else None


def position(stream_id: str) -> tuple[int, int]:
    """Where a history id stands, for comparing two of them."""
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq)


def poll_id() -> str:
    """A polling event's id: never one of the history's."""
    return f"p{int(time.time() * 1000)}-{next(_poll_ids)}"
