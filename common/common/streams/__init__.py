"""Live streams (Server-Sent Events) for every actor, resumable with `Last-Event-ID` (ARCHITECTURE 4.4).

One mechanism for every stream; a service's `events.py` says only what its stream shows (a
`StreamSpec`) and who may open it (`serve`'s `authorize`). "List, then watch", as in Kubernetes:
a stream follows one topic of keyed entries, opens with a snapshot (or exactly what a resuming
client missed), then sends each change. MongoDB stays the truth; everything in Redis may be lost.

By concern (docs/architecture/streams.md walks through them):
- `spec`: `Entry` and `StreamSpec`, what a service declares;
- `history`: the topic's history, versions and view in Redis, written by one Lua script (`publish`);
- `ids`: the history's event ids and the polling ids;
- `fanout`: one Redis subscription per process, handed out to the open streams;
- `refresher`: the heartbeat's one MongoDB re-read per stream kind, which repairs lost publishes;
- `client`: one client's stream (`LiveStream`);
- `admission`: streams per process and per user, shared with the gateway's relay;
- `throttle`: at most one entry per item per interval (a courier's position);
- `views`: the HTTP side (`serve`).
"""

from common.streams.client import LiveStream, retry_field
from common.streams.history import publish, publish_async
from common.streams.ids import valid_last_event_id
from common.streams.spec import Entry, StreamSpec, gone, grouped, topic_of
from common.streams.views import last_event_id_of, serve, stream_caller

__all__ = [
    "Entry",
    "LiveStream",
    "StreamSpec",
    "gone",
    "grouped",
    "last_event_id_of",
    "publish",
    "publish_async",
    "retry_field",
    "serve",
    "stream_caller",
    "topic_of",
    "valid_last_event_id",
]
