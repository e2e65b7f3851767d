"""The gateway's route table: every public route of the contract (ARCHITECTURE 5), by method and
path pattern, and the service that answers it.

Literal paths win over patterns (`/restaurants/popular` before `/restaurants/{rid}`); among
patterns, the table's order decides. `/internal/...` is never listed, so it is never routed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PUBLIC = "public"  # no token needed (a token, if sent, is still forwarded)
TOKEN = "token"  # an access token is checked at the edge before any upstream call

READ = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Route:
    pattern: str
    service: str
    methods: frozenset[str]
    auth: str = TOKEN
    stream: bool = False  # long-lived response (SSE): no read timeout
    regex: re.Pattern = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        segments = [
            f"(?P<{segment[1:-1]}>[^/]+)" if segment.startswith("{") else re.escape(segment)
            for segment in self.pattern.split("/")
        ]
        object.__setattr__(self, "regex", re.compile("^" + "/".join(segments) + "$"))

    @property
    def is_literal(self) -> bool:
        return "{" not in self.pattern


def _r(pattern: str, service: str, methods: str, auth: str = TOKEN, **kwargs) -> Route:
    return Route(pattern, service, frozenset(methods.split()), auth, **kwargs)


ROUTES: tuple[Route, ...] = (
    # identity
    *(
        _r(f"/{kind}/{action}", "auth", "POST", PUBLIC)
        for kind in ("customers", "restaurants", "couriers")
        for action in ("register", "login", "refresh-token", "logout")
    ),
    _r("/restaurants/login/mfa", "auth", "POST", PUBLIC),
    # operators: never registered here (the auth image's create_operator); always a code
    *(
        _r(f"/operators/{action}", "auth", "POST", PUBLIC)
        for action in ("login", "login/mfa", "refresh-token", "logout")
    ),
    _r("/restaurants/mfa/setup", "auth", "POST"),
    _r("/restaurants/mfa/confirm", "auth", "POST"),
    _r("/.well-known/jwks.json", "auth", "GET HEAD", PUBLIC),
    # customers
    _r("/customers/me", "customer", "GET HEAD PUT PATCH"),
    _r("/customers/me/addresses", "customer", "GET HEAD POST"),
    _r("/customers/me/addresses/{aid}", "customer", "GET HEAD PUT PATCH DELETE"),
    # A customer's orders are answered by their owner, the order service: placing one is a single
    # service hop, the address read from what the customer service published (common/contracts/customer_addresses.py).
    _r("/customers/me/orders", "order", "GET HEAD POST"),
    _r("/customers/me/orders/quote", "order", "POST"),
    _r("/customers/me/feed", "customer", "GET HEAD"),
    # restaurants and menus: browsing is public, changes need a restaurant user's token
    _r("/restaurants", "restaurant", "GET HEAD", PUBLIC),
    _r("/restaurants", "restaurant", "POST"),
    _r("/restaurants/popular", "restaurant", "GET HEAD", PUBLIC),
    _r("/restaurants/{rid}", "restaurant", "GET HEAD", PUBLIC),
    _r("/restaurants/{rid}", "restaurant", "PUT PATCH"),
    _r("/restaurants/{rid}/pause", "restaurant", "POST DELETE"),
    _r("/restaurants/{rid}/menu", "restaurant", "GET HEAD", PUBLIC),
    _r("/restaurants/{rid}/menu/items", "restaurant", "POST"),
    _r("/restaurants/{rid}/menu/items/{iid}", "restaurant", "PUT PATCH DELETE"),
    _r("/restaurants/{rid}/orders", "restaurant", "GET HEAD"),
    _r("/restaurants/{rid}/orders/{oid}/status", "restaurant", "POST"),
    _r("/restaurants/{rid}/orders/{oid}/delay", "restaurant", "POST"),
    _r("/restaurants/{rid}/orders/events", "order", "GET", stream=True),
    # orders
    _r("/orders/{oid}", "order", "GET HEAD"),
    _r("/orders/{oid}/events", "order", "GET", stream=True),
    _r("/orders/{oid}/cancel", "order", "POST"),
    # deliveries
    _r("/couriers/me", "delivery", "GET HEAD PUT PATCH"),
    _r("/couriers/me/location", "delivery", "POST"),
    _r("/couriers/me/events", "delivery", "GET", stream=True),
    _r("/deliveries", "delivery", "GET HEAD"),
    _r("/deliveries/{did}", "delivery", "GET HEAD"),
    _r("/deliveries/{did}/status", "delivery", "POST"),
    # operators (ARCHITECTURE 4.6): each route answered by the owner of its fact
    _r("/operator/orders", "order", "GET HEAD"),
    _r("/operator/orders/{oid}/cancel", "order", "POST"),
    _r("/operator/orders/{oid}/assign", "delivery", "POST"),
    _r("/operator/orders/{oid}/unassign", "delivery", "POST"),
    _r("/operator/couriers", "delivery", "GET HEAD"),
    _r("/operator/audit", "order", "GET HEAD"),
    _r("/operator/events", "order", "GET", stream=True),
    # the browsable API's assets: every service serves the same DRF static files
    _r("/static/{path}", "auth", "GET HEAD", PUBLIC),
)
_STATIC = re.compile(r"^/static/[A-Za-z0-9_./-]+$")


@dataclass(frozen=True)
class Match:
    route: Route | None
    candidates: tuple[Route, ...] = ()  # the routes of the path, whatever their methods
    # For a browser's GET of a POST-only route (say /customers/register, or with a session
    # /couriers/me/location): the route whose service renders DRF's browsable form for it (and,
    # for a route that needs a token, checks it as on any request).
    browsable: Route | None = None

    @property
    def allowed(self) -> frozenset[str]:
        """The methods the path accepts, for 405's Allow header (worked out only when asked)."""
        return frozenset().union(*(route.methods for route in self.candidates))


# Looked up per request: literal routes by path, patterns in table order (built once).
_LITERAL: dict[str, tuple[Route, ...]] = {}
for _route in ROUTES:
    if _route.is_literal:
        _LITERAL[_route.pattern] = (*_LITERAL.get(_route.pattern, ()), _route)
# Patterns by their first segment, which is literal in every one: a path is tried against a few.
_PATTERNS: dict[str, list[Route]] = {}
for _route in ROUTES:
    if not _route.is_literal and "/static/" not in _route.pattern:
        _head = _route.pattern.split("/", 2)[1]
        assert "{" not in _head, f"{_route.pattern}: a pattern's first segment must be literal"
        _PATTERNS.setdefault(_head, []).append(_route)


def resolve(method: str, path: str) -> Match:
    """The route for this request; `route` is None with `allowed` set when only the method is wrong."""
    if path.startswith("/internal/") or path == "/internal":
        return Match(None)
    if path.startswith("/static/") and _STATIC.match(path) and ".." not in path:
        static = ROUTES[-1]
        return Match(static if method in static.methods else None, (static,))
    # A literal route owns its path for every method: /restaurants/popular never falls to {rid}.
    candidates = _LITERAL.get(path) or tuple(
        r for r in _PATTERNS.get(path.split("/", 2)[1] if "/" in path else "", ()) if r.regex.match(path)
    )
    for route in candidates:
        if method in route.methods:
            return Match(route, candidates)
    browsable = candidates[0] if candidates and method in READ else None
    return Match(None, candidates, browsable)
