"""The client's address as the edge saw it."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """The address of whoever called the platform.

    Services sit behind the gateway, which appends the address it saw to `X-Forwarded-For`;
    `TRUSTED_PROXY_HOPS` says how many proxies in front of us append (0: trust no header).
    """
    return client_ip_from(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""))


def client_ip_from(remote_addr: str, forwarded_for: str) -> str:
    """`client_ip` from the connection's address and the `X-Forwarded-For` header (or "")."""
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 1)
    remote = remote_addr or "unknown"
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return forwarded[0] if forwarded else remote
