"""What a service says about one kind of stream: its entries and its `StreamSpec`.

A stream follows one topic (`topic_of(kind, subject)`) made of keyed entries, each an item's
current state. The spec says what the items are (`truth`, read from MongoDB), how the stream opens
(`snapshot_event` and `snapshot_data`, or `opening`), what a client may see (`visible`) and when the
stream ends (`ends_after`). Who may open it is the view's business (`common.streams.views.serve`).
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable
from dataclasses import dataclass

from common.mongo import parse_object_id


@dataclass(frozen=True, slots=True)
class Entry:
    """One item's current state as a stream shows it. `live` items are part of the topic's current
    view (an open order on a board); the others are shown once, when they change (a finished order).
    `version` only grows (it comes from the item's MongoDB document)."""

    key: str
    version: int
    event: str
    data: dict
    live: bool = True

    @property
    def text(self) -> str:
        return json.dumps(self.data, sort_keys=True, separators=(",", ":"), default=str)


def topic_of(kind: str, subject: str) -> str:
    """The topic of one stream: its kind (`order`, `restaurant`, `courier`) and what it follows."""
    return f"{kind}:{subject}"


class StreamSpec(abc.ABC):
    """What one kind of stream shows; each service's events.py defines one and who may open it."""

    kind: str = ""
    # The event that opens a stream with the whole view and replaces what a client had (the board's
    # and the courier feed's `snapshot`). None: the stream opens with the view's entries themselves
    # (the order's current status), and a later re-snapshot sends only what changed.
    snapshot_event: str | None = "snapshot"

    @abc.abstractmethod
    def truth(self, watched: dict[str, set[str]]) -> dict[str, list[Entry]]:
        """The entries MongoDB holds for these subjects, in one query for all of them (sync; run in a
        thread): every live item of each subject, plus the named keys (items a stream shows as live,
        which may have finished since)."""

    def snapshot_data(self, view: list[Entry]) -> dict:
        """The `snapshot` event's data from the topic's live entries."""
        return {}

    def opening(self, view: list[Entry]) -> list[Entry]:
        """With `snapshot_event` None: the view's entries in the order a stream opens with."""
        return view

    def visible(self, entry: Entry, known: dict[str, Entry]) -> bool:
        """Whether an entry is for this stream's eyes, given the latest entry it knows per key."""
        return True

    def ends_after(self, entry: Entry) -> bool:
        """Whether the stream ends once this entry is the item's state."""
        return False


def gone(live: list[dict], watched: dict[str, set[str]]) -> list:
    """The ids of the watched keys not among these live documents: items a stream still shows as
    live that are not any more (finished since, maybe unannounced), for its `truth` to read too."""
    found = {str(document["_id"]) for document in live}
    return [oid for key in set().union(*watched.values()) - found if (oid := parse_object_id(key))]


def grouped(documents: list[dict], subject: str, entry: Callable[[dict], Entry]) -> dict[str, list[Entry]]:
    """A `truth`: the documents' entries, by the subject each document names in its field `subject`."""
    truth: dict[str, list[Entry]] = {}
    for document in documents:
        truth.setdefault(document[subject], []).append(entry(document))
    return truth
