"""At most one entry per item per interval on a topic, counted across every replica.

For items that change far more often than anyone needs to see them (a courier's position, reported
every few seconds by thousands of couriers): the first publish of each interval goes out, the others
of that interval do not (the next one after it does). The claim is one `SET NX PX`, queued on the
caller's pipeline (sync or async) beside its other writes, so it costs no round trip of its own.
Without Redis nothing is published anyway; the streams' heartbeat re-read shows the latest state.
"""

from __future__ import annotations

from common.redis_client import redis_key


def _claim_key(topic: str, key: str) -> str:
    return redis_key("stream-throttle", topic, key)


def claim(pipe, topic: str, key: str, *, interval_s: float) -> None:
    """Queues on `pipe` the claim of this interval for the item `key` of `topic`; its reply, read
    with `granted`, says whether this publish is the interval's first."""
    pipe.set(_claim_key(topic, key), 1, nx=True, px=max(1, round(interval_s * 1000)))


def granted(reply) -> bool:
    return bool(reply)
