"""Testing a fast path (common/fast_paths/) against Django's path: the same request through each,
the answers compared, and requests to send generated with hypothesis (valid and broken bodies,
content types, Accept values, query strings, request ids, forwarded headers)."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from dataclasses import dataclass, field

from hypothesis import strategies as st

from common.testing.asgi import exchanged


@dataclass(frozen=True)
class Call:
    """One request: lower-case header names and their values, as a client sends them."""

    method: str
    path: str
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    query: bytes = b""

    def scope(self) -> dict:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": self.query,
            "headers": [(b"host", b"testserver"), *self.headers, (b"content-length", str(len(self.body)).encode())],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }

    def with_headers(self, *headers: tuple[bytes, bytes]) -> Call:
        return Call(self.method, self.path, (*self.headers, *headers), self.body, self.query)


# Made anew for each request when the client sends none (or one too wild to keep).
PER_REQUEST = frozenset({b"x-request-id"})
# A page's CSRF token, masked anew for every page Django renders, and the cookie of a
# new one (its value and the time it expires).
_CSRF_TOKEN = re.compile(rb'("csrfToken": "|name="csrfmiddlewaretoken" value="|name="csrf-token" content=")[^"]*')
_CSRF_COOKIE = re.compile(rb"(csrftoken=|expires=)[^;]*")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]  # lower-case names, sorted, the per-request ones left out
    body: bytes  # a page's CSRF token masked (and a new CSRF cookie's value in the headers)
    request_id: bytes = field(default=b"", compare=False)

    def json(self):
        return json.loads(self.body)


async def answer(app, call: Call, *pieces: bytes) -> Answer:
    """The application's answer to `call`, its body sent in `pieces` (by default whole, in one message)."""
    sent = await exchanged(app, call.scope(), *(pieces or (call.body,)))
    head = [(name.lower(), value) for name, value in sent[0]["headers"]]
    return Answer(
        status=sent[0]["status"],
        headers=tuple(
            sorted(
                (name, _CSRF_COOKIE.sub(rb"\1(masked)", value) if name == b"set-cookie" else value)
                for name, value in head
                if name not in PER_REQUEST
            )
        ),
        body=_CSRF_TOKEN.sub(rb"\1(masked)", b"".join(message.get("body", b"") for message in sent[1:])),
        request_id=dict(head).get(b"x-request-id", b""),
    )


def answer_now(app, call: Call, *pieces: bytes) -> Answer:
    return asyncio.run(answer(app, call, *pieces))


def header(answer: Answer, name: bytes) -> bytes | None:
    return dict(answer.headers).get(name)


# --- what to send ----------------------------------------------------------------------------

# Besides the usual (none, or the JSON type): what DRF answers with its browsable page, what it
# refuses (406, or 404 for an unknown `?format=`) and what clients send.
ACCEPTS = st.sampled_from(
    [
        b"*/*",
        b"application/json",
        b"application/json, text/plain, */*",
        b"application/json, */*;q=0.5",
        b"application/json; indent=4",
        b"application/json; charset=utf-8",
        b"*/*;q=0.8",
        b"text/html",
        b"text/*",
        b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        b"application/xml",
    ]
)
QUERIES = st.sampled_from([b"format=json", b"format=api", b"format=xml", b"page=2", b"x=%zz", b"format=json&x=1"])
CONTENT_TYPES = st.sampled_from(
    [
        None,
        b"application/json; charset=utf-8",
        b"application/json; charset=latin-1",
        b"application/x-www-form-urlencoded",
        b"text/plain",
    ]
)
REQUEST_IDS = st.sampled_from([b"rid-1", b"a b\x7f", b"x" * 200])
# A call through the gateway says how the client came (HTTPS turns on HSTS where it is set) and to
# which host (one Django refuses is a 400).
THROUGH_THE_GATEWAY = ((b"x-forwarded-host", b"food.example"), (b"x-forwarded-proto", b"https"))
FORWARDED = st.sampled_from([(), ((b"x-forwarded-proto", b"http"),), ((b"x-forwarded-host", b"bad host"),)])
NOT_JSON = st.sampled_from([b"", b"{", b'{"a": NaN}', b'{"a": 1, "a": 2}', b"\xff\xfe", b"a=1&b=2", b"[" * 300])

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(value, path=()) -> list[tuple]:
    """Every place in a JSON value: the keys and indexes that lead there."""
    places = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            places += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            places += _paths(child, (*path, index))
    return places


@st.composite
def changed(draw, valid: st.SearchStrategy, values: st.SearchStrategy = JSON_VALUES):
    """A valid body with one place in it replaced by another value, or (in an object) left out."""
    body = copy.deepcopy(draw(valid))
    place = draw(st.sampled_from(_paths(body)))
    if not place:
        return draw(values)
    parent = body
    for step in place[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[place[-1]]
    else:
        parent[place[-1]] = draw(values)
    return body


PARTS = ("token", "content type", "accept", "request id", "forwarded", "query", "body")


@st.composite
def calls(draw, method: str, path: str, *, token: bytes, other_tokens, valid_bodies=None, values=JSON_VALUES) -> Call:
    """A client's call: the usual one (`Authorization: token`, a JSON body from `valid_bodies` if
    any, through the gateway) with none, one or two of its parts changed. A part changed is another
    token (from `other_tokens`) or none; another content type or none; an Accept; a request id; the
    gateway's headers left out or odd; a query string; a body with one place set to one of `values`
    or left out, any JSON, or bytes that are not JSON. (Parts are varied a few at a time so that most
    calls get past the checks before the part that varies.)"""
    varied = draw(st.sets(st.sampled_from(PARTS), max_size=2), label="varied")
    token = draw(st.sampled_from([*other_tokens, None]), label="token") if "token" in varied else token
    content_type = draw(CONTENT_TYPES, label="content type") if "content type" in varied else b"application/json"
    headers = [(b"authorization", token), (b"content-type", content_type)]
    if "accept" in varied:
        headers.append((b"accept", draw(ACCEPTS, label="accept")))
    if "request id" in varied:
        headers.append((b"x-request-id", draw(REQUEST_IDS, label="request id")))
    forwarded = draw(FORWARDED, label="forwarded") if "forwarded" in varied else THROUGH_THE_GATEWAY
    query = draw(QUERIES, label="query") if "query" in varied else b""
    body = b""
    if valid_bodies is not None:
        if "body" in varied:
            value = draw(st.one_of(changed(valid_bodies, values), JSON_VALUES), label="body")
            body = draw(st.one_of(st.just(json.dumps(value).encode()), NOT_JSON), label="raw body")
        else:
            body = json.dumps(draw(valid_bodies, label="body")).encode()
    headers = tuple((name, value) for name, value in headers if value is not None)
    return Call(method, path, (*headers, *forwarded), body, query)
