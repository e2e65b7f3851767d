"""How many files a serving process may hold open, and how many live streams fit in that.

Every connection is a descriptor, and a live stream holds its own for as long as it is open (the
gateway two: the client's and the upstream's). Containers start with a soft limit of 1,024 and a
hard one of 524,288 or so (Docker 25 and containerd 2 stopped raising the soft one): a few hundred
streams, and past them `accept()` failing for every client, ordinary requests too. An unprivileged
process may raise its soft limit up to the hard one, as Go programs do at start and nginx does with
`worker_rlimit_nofile`: each serving process does so once its application is loaded
(`common.asgi`, the gateway's `asgi.py`). Kubernetes has no setting for it, so the process must.
What a process still cannot hold is refused with the fast 503 (`streams_within`).
"""

from __future__ import annotations

import logging
import resource

logger = logging.getLogger(__name__)

# Descriptors kept for everything but live streams: the listening socket, pooled connections to
# MongoDB, Redis and the other services, ordinary requests in flight, logs.
RESERVED = 500
# Where the hard limit is "unlimited", the soft one is raised to Linux's default ceiling (fs.nr_open).
UNLIMITED_SOFT = 1_048_576


def raise_soft_limit() -> int:
    """Raises this process's soft open-file limit to its hard one; answers the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = UNLIMITED_SOFT if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as exc:  # a sandbox may refuse it: serve within the old limit
            logger.warning("open-file limit not raised", extra={"soft": soft, "hard": hard, "error": str(exc)})
            return soft
        soft = wanted
    return soft


def streams_within(*, descriptors_each: int) -> int:
    """Live streams this process can hold within its open-file limit, each holding
    `descriptors_each`, with RESERVED kept for everything else (at least one)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 10**9
    return max(1, (soft - RESERVED) // descriptors_each)
