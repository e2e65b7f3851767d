"""Proxying against real upstream HTTP servers (an echo server here, the live platform in
test_platform.py)."""

import asyncio
import json
import time

import pytest
from django.test import AsyncClient


def _json(response):
    return json.loads(b"".join(response.streaming_content) if response.streaming else response.content)


async def _collect(response) -> bytes:
    if not response.streaming:
        return response.content
    return b"".join([chunk async for chunk in response.streaming_content])


def test_upstream_status_codes_are_preserved(echo, run_async):
    async def scenario():
        response = await AsyncClient().post(
            "/customers/register", data={"email": "a@b.co"}, content_type="application/json"
        )
        return response, json.loads(await _collect(response))

    response, seen = run_async(scenario())

    assert response.status_code == 201
    assert seen["path"] == "/customers/register"


def test_public_route_is_forwarded_with_headers_set_and_hop_by_hop_dropped(echo, run_async):
    async def scenario():
        response = await AsyncClient().get(
            "/restaurants?q=thai&page=2",
            headers={
                "X-Request-ID": "req-1",
                "X-Custom": "kept",
                "Connection": "keep-alive, X-Custom-Hop",
                "X-Forwarded-For": "6.6.6.6",
                "Accept": "application/json",
            },
        )
        return response, json.loads(await _collect(response))

    response, seen = run_async(scenario())

    assert response.status_code == 200
    assert seen["method"] == "GET"
    assert seen["path"] == "/restaurants?q=thai&page=2"
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert headers["x-custom"] == "kept"
    assert headers["x-request-id"] == "req-1"
    # The gateway is the edge: the client's own X-Forwarded-For (6.6.6.6) is not trusted.
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert "x-forwarded-host" in headers
    assert response["X-Upstream"] == "echo"
    assert response["X-Request-ID"] == "req-1"
    assert not response.has_header("Keep-Alive")


def test_an_answer_without_a_content_type_gets_none_added(echo, run_async, issue_token):
    # A relayed 204 came out as "text/html; charset=utf-8", Django's default for a response it makes.
    echo.forced = (204, {})
    headers = {"Authorization": f"Bearer {issue_token('customer')}"}

    async def scenario():
        return await AsyncClient().delete("/customers/me/addresses/a1", headers=headers)

    response = run_async(scenario())

    assert response.status_code == 204
    assert not response.has_header("Content-Type")


def test_the_upstream_s_date_and_server_are_not_relayed(echo, run_async):
    # The gateway's own server stamps its Date (RFC 9110 6.6.1): relayed, the answer had two; and
    # an upstream's Server names its software. nginx drops both by default as well.
    async def scenario():
        return await AsyncClient().get("/restaurants", headers={"Accept": "application/json"})

    response = run_async(scenario())

    assert response.status_code == 200
    assert response["X-Upstream"] == "echo"  # the echo server sends Date and Server too
    assert not response.has_header("Date")
    assert not response.has_header("Server")


def test_a_body_is_forwarded_unchanged(echo, run_async, issue_token):
    token = issue_token("restaurant")

    async def scenario():
        response = await AsyncClient().patch(
            "/restaurants/65f0c0ffee00000000000001",
            data=b'{"name": "Pho 2"}',
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        return response, json.loads(await _collect(response))

    response, seen = run_async(scenario())

    assert response.status_code == 200
    assert seen["method"] == "PATCH"
    assert seen["body"] == '{"name": "Pho 2"}'
    assert seen["headers"]["Authorization"] == f"Bearer {token}"  # services verify it again


def test_missing_or_forged_tokens_are_refused_before_any_upstream_call(echo, run_async, issue_token):
    forged = issue_token("customer")[:-4] + "AAAA"

    async def scenario():
        client = AsyncClient()
        return [
            (await client.get("/customers/me")).status_code,
            (await client.get("/customers/me", headers={"Authorization": f"Bearer {forged}"})).status_code,
            (await client.get("/customers/me", headers={"Authorization": "Basic abc"})).status_code,
        ]

    assert run_async(scenario()) == [401, 401, 401]
    assert echo.received == []


def test_internal_and_unknown_routes_are_json_404s(echo, run_async):
    async def scenario():
        client = AsyncClient()
        return [await client.post("/internal/service-token"), await client.get("/nothing/here")]

    for response in run_async(scenario()):
        assert response.status_code == 404
        assert json.loads(response.content)["error"]["code"] == "not_found"
    assert echo.received == []


def test_a_wrong_method_is_a_405_with_allow(echo, run_async):
    response = run_async(AsyncClient().delete("/customers/register"))

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_a_down_upstream_is_a_fast_503_with_retry_after(echo, run_async, settings):
    settings.UPSTREAMS = {**settings.UPSTREAMS, "restaurant": "http://127.0.0.1:9"}
    started = time.monotonic()

    response = run_async(AsyncClient().get("/restaurants"))

    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response["Retry-After"]
    assert json.loads(response.content)["error"]["details"] == {"service": "restaurant"}


def test_a_slow_upstream_is_a_504_after_the_timeout(echo, run_async, settings):
    settings.UPSTREAM_READ_TIMEOUT_S = 0.3
    echo.delay_s = 1.0
    started = time.monotonic()

    response = run_async(AsyncClient().get("/restaurants"))

    assert time.monotonic() - started < 0.9
    assert response.status_code == 504


def test_a_stream_whose_upstream_never_answers_is_a_504_after_the_read_timeout(echo, run_async, settings, issue_token):
    """An upstream paused (a frozen process, an overloaded node: its kernel still accepts) must not
    hold a stream open, its client and the gateway's bounded opening slot with it, until it
    resumes: the head of the answer is due within UPSTREAM_READ_TIMEOUT_S, as for every request."""
    from edge import proxy

    settings.UPSTREAM_READ_TIMEOUT_S = 0.3
    settings.UPSTREAM_CONNECT_TIMEOUT_S = 0.2  # the head is due after the connects' time too
    echo.delay_s = 3.0
    headers = {"Authorization": f"Bearer {issue_token('customer')}"}
    started = time.monotonic()

    async def scenario():
        return await asyncio.wait_for(AsyncClient().get("/orders/a/events", headers=headers), 5)

    response = run_async(scenario())

    assert time.monotonic() - started < 1.5
    assert response.status_code == 504
    assert json.loads(response.content)["error"]["code"] == "upstream_timeout"
    assert proxy.RELAYED.open == 0


def test_a_stream_may_stay_quiet_longer_than_the_read_timeout_once_answered(echo, run_async, settings, issue_token):
    settings.UPSTREAM_READ_TIMEOUT_S = 0.2  # the echo's events come 0.3 s apart
    headers = {"Authorization": f"Bearer {issue_token('customer')}"}

    async def scenario():
        response = await AsyncClient().get("/orders/a/events", headers=headers)
        return response, await _collect(response)

    response, relayed = run_async(scenario())

    assert response.status_code == 200
    assert relayed == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"


def test_repeated_failures_open_the_circuit_and_fail_fast(echo, run_async, settings):
    settings.UPSTREAMS = {**settings.UPSTREAMS, "restaurant": "http://127.0.0.1:9"}
    settings.BREAKER_FAILURE_THRESHOLD = 2

    async def scenario():
        client = AsyncClient()
        return [await client.get("/restaurants") for _ in range(3)]

    responses = run_async(scenario())

    assert [r.status_code for r in responses] == [503, 503, 503]
    assert int(responses[-1]["Retry-After"]) >= 1


def test_oversized_bodies_are_413_at_the_edge(echo, run_async, settings):
    settings.MAX_REQUEST_BODY_BYTES = 50

    response = run_async(
        AsyncClient().post("/customers/register", data={"name": "x" * 100}, content_type="application/json")
    )

    assert response.status_code == 413
    assert echo.received == []


def test_event_streams_pass_through_chunk_by_chunk(echo, run_async, issue_token):
    token = issue_token("customer")

    async def scenario():
        response = await AsyncClient().get("/orders/abc/events", headers={"Authorization": f"Bearer {token}"})
        arrivals = []
        started = time.monotonic()
        async for chunk in response.streaming_content:
            arrivals.append((time.monotonic() - started, chunk))
        return response, arrivals

    response, arrivals = run_async(scenario())

    assert response["Content-Type"] == "text/event-stream"
    assert [chunk for _, chunk in arrivals] == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n"]
    # The first event is delivered while the upstream is still producing the rest.
    assert arrivals[0][0] < arrivals[-1][0] - 0.4


def test_cors_preflight_answers_for_allowed_origins_only(echo, run_async, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    async def scenario():
        client = AsyncClient()
        allowed = await client.options(
            "/customers/me", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
        )
        refused = await client.options(
            "/customers/me", headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"}
        )
        return allowed, refused

    allowed, refused = run_async(scenario())

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert not refused.has_header("Access-Control-Allow-Origin")
    assert echo.received == []


def test_odd_characters_in_a_path_reach_the_upstream_encoded_as_sent(echo, run_async):
    async def scenario():
        response = await AsyncClient().get("/restaurants/a%08b%20c/menu")
        return response, json.loads(await _collect(response))

    response, seen = run_async(scenario())

    assert response.status_code == 200
    assert seen["path"] == "/restaurants/a%08b%20c/menu"


class _FullAcceptQueue:
    """A real upstream whose accept queue is full: the kernel drops new connects' SYNs, so they time
    out, until it starts accepting (`accept_after_s`) and answering each request with a 200."""

    def __init__(self, accept_after_s: float | None):
        import socket

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.fillers = []
        for _ in range(3):  # more than a backlog of 0 admits
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(self.listener.getsockname())
            self.fillers.append(filler)
        time.sleep(0.05)  # the first filler is queued, the others' SYNs dropped
        self.answered = 0
        self.accept_after_s = accept_after_s

    def start(self) -> None:
        import threading

        if self.accept_after_s is not None:
            threading.Thread(target=self._serve, args=(self.accept_after_s,), daemon=True).start()

    def _serve(self, after_s: float) -> None:
        time.sleep(after_s)
        fillers = {filler.getsockname() for filler in self.fillers}
        while True:
            try:
                conn, peer = self.listener.accept()
            except OSError:
                return
            if peer in fillers:
                conn.close()  # never sends anything: waiting for it would hold up the real connects
                continue
            with conn:
                conn.settimeout(2)
                received = b""
                try:
                    while b"\r\n\r\n" not in received and (chunk := conn.recv(4096)):
                        received += chunk
                except OSError:
                    continue
                if not received:
                    continue
                self.answered += 1
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    def close(self) -> None:
        for filler in self.fillers:
            filler.close()
        self.listener.close()


def _register_through(upstream: _FullAcceptQueue, run_async, settings):
    """A registration sent to `upstream` (as the auth service) right after it starts its countdown
    to accepting; the gateway's pool is warm, so its first connect is made at once."""

    async def scenario():
        client = AsyncClient()
        await client.get("/restaurants")
        settings.UPSTREAMS = {**settings.UPSTREAMS, "auth": upstream.url}
        upstream.start()
        return await client.post("/customers/register", data={"email": "a@b.co"}, content_type="application/json")

    try:
        return run_async(scenario())
    finally:
        upstream.close()


@pytest.mark.parametrize(
    ("accept_after_s", "connect_timeout_s"),
    [
        pytest.param(0.2, 0.5, id="tried-once-more"),
        pytest.param(1.2, 0.7, id="waits-twice-as-long"),
    ],
)
def test_a_connect_that_timed_out_is_tried_once_more_with_twice_the_time(
    echo, run_async, settings, accept_after_s, connect_timeout_s
):
    """Nothing was sent on a connect that timed out (a full accept queue, or this worker's own loop
    too busy to see the connect finish, as in a reconnect storm), so trying once more is safe for
    every method; only a second timeout is the 504. The second connect waits twice as long, as TCP
    backs off its own SYN retransmission: in a reconnect storm the gateway's own loop, busy for long
    turns, sees connects that finished at once only after their timers fired, and a second timeout
    as short would answer 504s and open the streams' circuit for everyone. In the second case the
    kernel's SYN retransmission (1 s after a dropped SYN) is the delay: the second connect's SYN is
    dropped at 0.7 s and only its retransmission at 1.7 s is accepted, within 2 x 0.7 s but not
    within 0.7 s."""
    upstream = _FullAcceptQueue(accept_after_s=accept_after_s)
    settings.UPSTREAM_CONNECT_TIMEOUT_S = connect_timeout_s

    response = _register_through(upstream, run_async, settings)

    assert response.status_code == 200
    assert upstream.answered == 1


def test_an_upstream_that_never_accepts_is_a_504_after_two_connect_timeouts(echo, run_async, settings):
    upstream = _FullAcceptQueue(accept_after_s=None)
    upstream.start()
    settings.UPSTREAMS = {**settings.UPSTREAMS, "restaurant": upstream.url}
    settings.UPSTREAM_CONNECT_TIMEOUT_S = 0.3
    started = time.monotonic()
    try:
        response = run_async(AsyncClient().get("/restaurants"))
    finally:
        upstream.close()

    assert 0.9 <= time.monotonic() - started < 1.8  # 0.3 s, then 0.6 s
    assert response.status_code == 504
    assert json.loads(response.content)["error"]["code"] == "upstream_timeout"
