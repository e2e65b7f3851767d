"""The client's address as the edge saw it."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """The address of whoever called the platform.

    Services sit behind the gateway, which appends the address it saw to `X-Forwarded-For`;
    `TRUSTED_PROXY_HOPS` says how many proxies in front of us append (0: trust no header).
    """
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 1)
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return forwarded[0] if forwarded else remote
