"""A live stream relayed from its upstream (edge/stream_relay.py): against real upstream sockets,
some of them written byte by byte to answer the way a broken or hostile upstream would."""

import asyncio
import contextlib
import gc
import json
import socket
import threading
import time

from django.http.response import ResponseHeaders
from django.test import AsyncClient

MARKER = "m-7f3c1d"


class _RawUpstream:
    """A one-connection upstream that writes exactly what the test gives it, then waits for the
    gateway to hang up (`saw_hang_up` is set when it has)."""

    def __init__(self, script):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.script = script
        self.request = b""
        self.sent = 0
        self.saw_hang_up = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        conn, _ = self.listener.accept()
        with conn:
            while b"\r\n\r\n" not in self.request:
                self.request += conn.recv(4096)
            try:
                self.script(self, conn)
                conn.settimeout(5)
                while conn.recv(4096):
                    pass
                self.saw_hang_up.set()
            except OSError:
                self.saw_hang_up.set()

    def close(self):
        self.listener.close()


async def _whole(response):
    """The relayed stream read to its end (None for an answer that is not a stream)."""
    if not response.streaming:
        return None
    return b"".join([chunk async for chunk in response.streaming_content])


def _through(upstream, run_async, settings, issue_token, consume=_whole):
    """Opens /orders/a/events with the order service at `upstream`; returns the gateway's response
    and what `consume(response)` made of it (run on the gateway's loop)."""
    settings.UPSTREAMS = {**settings.UPSTREAMS, "order": upstream.url}
    headers = {"Authorization": f"Bearer {issue_token('customer')}"}

    async def scenario():
        response = await AsyncClient().get("/orders/a/events", headers=headers)
        return response, await consume(response)

    try:
        return run_async(scenario())
    finally:
        upstream.close()


def _head(extra: str = "") -> bytes:
    return (
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
        f"X-Marker: {MARKER}\r\n{extra}\r\n"
    ).encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _holding_marker() -> list:
    """Live containers holding the upstream's head value (strings are not tracked by the collector,
    but every parsed head keeps its values in tuples, lists, dicts or multidicts, which are)."""
    gc.collect()
    found = []
    for o in gc.get_objects():
        try:
            if o is globals():
                continue
            if isinstance(o, dict):
                values = o.values()
            elif isinstance(o, (tuple, list)):
                values = o
            elif type(o).__name__ in ("CIMultiDict", "CIMultiDictProxy"):
                values = list(o.values())
            else:
                continue
            if any(v in (MARKER, MARKER.encode()) for v in values if isinstance(v, (str, bytes))):
                found.append(type(o).__name__)
        except Exception:  # a container changing under the walk
            continue
    return found


def test_an_open_stream_keeps_nothing_of_its_upstreams_head(run_async, settings, issue_token, echo):
    """A stream stays open for hours: once the gateway's answer has its copy of the upstream's
    head (and sent it: the handler then lets its own copy go), nothing else may hold it. aiohttp
    kept each relayed stream's head twice, 5 KiB per stream (bench/RESULTS.md)."""
    upstream = _RawUpstream(lambda up, conn: conn.sendall(_head() + _chunk(b"data: 0\n\n")))

    async def consume(response):
        chunks = aiter(response.streaming_content)
        first = await anext(chunks)
        response.headers = ResponseHeaders({})  # sent: common.asgi's handler lets it go
        holding = _holding_marker()
        await chunks.aclose()
        return first, holding

    response, (first, holding) = _through(upstream, run_async, settings, issue_token, consume)

    assert response.status_code == 200
    assert first == b"data: 0\n\n"
    assert holding == []


def test_a_client_that_leaves_closes_its_upstream_connection(run_async, settings, issue_token, echo):
    upstream = _RawUpstream(lambda up, conn: conn.sendall(_head() + _chunk(b"data: 0\n\n")))

    async def consume(response):
        chunks = aiter(response.streaming_content)
        first = await anext(chunks)
        await chunks.aclose()  # what Django's handler does when the client hangs up
        response.close()
        return first

    _, first = _through(upstream, run_async, settings, issue_token, consume)
    assert upstream.saw_hang_up.wait(2)

    assert first == b"data: 0\n\n"


def test_chunks_cut_anywhere_by_the_network_are_relayed_whole(run_async, settings, issue_token, echo):
    body = _chunk(b"data: 0\n\n") + _chunk(b"id: 1\ndata: " + b"x" * 3000 + b"\n\n") + b"0\r\n\r\n"

    def byte_by_byte(up, conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for n, byte in enumerate(_head() + body):
            conn.sendall(bytes([byte]))
            if n % 97 == 0:
                time.sleep(0.001)

    upstream = _RawUpstream(byte_by_byte)

    response, relayed = _through(upstream, run_async, settings, issue_token)

    assert response.status_code == 200
    assert relayed == b"data: 0\n\nid: 1\ndata: " + b"x" * 3000 + b"\n\n"


def test_an_upstream_that_breaks_off_mid_stream_ends_the_clients_stream_and_is_logged(
    run_async, settings, issue_token, echo, caplog
):
    def break_off(up, conn):
        conn.sendall(_head() + _chunk(b"data: 0\n\n") + b"20\r\ndata: cut")
        conn.shutdown(socket.SHUT_WR)

    upstream = _RawUpstream(break_off)

    async def consume(response):
        return [chunk async for chunk in response.streaming_content]

    _, relayed = _through(upstream, run_async, settings, issue_token, consume)

    assert relayed[0] == b"data: 0\n\n"
    assert b"".join(relayed).startswith(b"data: 0\n\n")
    assert [r.getMessage() for r in caplog.records if r.name == "edge.proxy"] == ["upstream stream broke"]


def test_an_upstream_answering_what_is_not_http_is_a_503_not_a_500(run_async, settings, issue_token, echo):
    upstream = _RawUpstream(lambda up, conn: conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n"))

    response, _ = _through(upstream, run_async, settings, issue_token)

    assert response.status_code == 503
    assert json.loads(response.content)["error"]["code"] == "upstream_unavailable"


def test_an_upstream_switching_protocols_unasked_is_a_503(run_async, settings, issue_token, echo):
    upstream = _RawUpstream(
        lambda up, conn: conn.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
        )
    )

    response, _ = _through(upstream, run_async, settings, issue_token)

    assert response.status_code == 503


def test_an_interim_answer_before_the_stream_is_skipped(run_async, settings, issue_token, echo):
    early_hints = b"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"
    upstream = _RawUpstream(
        lambda up, conn: conn.sendall(early_hints + _head() + _chunk(b"data: 0\n\n") + b"0\r\n\r\n")
    )

    response, relayed = _through(upstream, run_async, settings, issue_token)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert "Link" not in response
    assert relayed == b"data: 0\n\n"


def test_the_request_reaches_the_upstream_as_an_http_11_request_with_its_host(run_async, settings, issue_token, echo):
    upstream = _RawUpstream(lambda up, conn: conn.sendall(_head() + b"0\r\n\r\n"))

    _through(upstream, run_async, settings, issue_token)

    request_line, *header_lines = upstream.request.decode("latin-1").split("\r\n\r\n")[0].split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in header_lines)}
    assert request_line == "GET /orders/a/events HTTP/1.1"
    assert headers["host"] == upstream.url.removeprefix("http://")
    assert headers["authorization"].startswith("Bearer ")
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert "x-request-id" in headers


def test_a_client_that_reads_nothing_makes_the_upstream_wait_instead_of_filling_the_gateways_memory(
    run_async, settings, issue_token, echo
):
    """Flow control: past a bound of unread bytes the relay stops reading its upstream, and TCP
    pushes back on the upstream's writes (the kernel's buffers hold a few MiB of the 32 MiB)."""
    payload = 32 * 1024 * 1024

    def flood(up, conn):
        conn.sendall(_head())
        piece = _chunk(b"x" * 65536)
        while up.sent < payload:
            conn.sendall(piece)
            up.sent += 65536

    upstream = _RawUpstream(flood)

    async def consume(response):
        await asyncio.sleep(1.5)  # a client that reads nothing
        response.close()
        return upstream.sent

    _, sent = _through(upstream, run_async, settings, issue_token, consume)

    assert sent < payload // 2


def test_a_stream_from_an_https_upstream_is_relayed_over_verified_tls(
    run_async, settings, issue_token, echo, tmp_path, monkeypatch
):
    """Service URLs may be https (a mesh without sidecars, an upstream elsewhere): the relay verifies
    the upstream's certificate against the system's trust store, which SSL_CERT_FILE can name."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from edge import stream_relay

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)

    def over_tls(up, conn):
        with server_context.wrap_socket(conn, server_side=True) as tls:
            request = b""
            while b"\r\n\r\n" not in request:
                request += tls.recv(4096)
            up.request = request
            tls.sendall(_head() + _chunk(b"data: 0\n\n") + b"0\r\n\r\n")
            tls.recv(4096)

    class _TlsUpstream(_RawUpstream):
        def _serve(self):
            conn, _ = self.listener.accept()
            with conn:
                with contextlib.suppress(OSError):  # the refused handshake
                    self.script(self, conn)
                self.saw_hang_up.set()

    def relayed_trusting(cert_path):
        upstream = _TlsUpstream(over_tls)
        upstream.url = upstream.url.replace("http://127.0.0.1", "https://localhost")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
        stream_relay.tls_context.cache_clear()
        try:
            return upstream, *_through(upstream, run_async, settings, issue_token)
        finally:
            stream_relay.tls_context.cache_clear()

    upstream, response, relayed = relayed_trusting(cert_file)
    _, refused, _ = relayed_trusting(tmp_path / "nothing-trusted.pem")

    assert response.status_code == 200
    assert relayed == b"data: 0\n\n"
    assert upstream.request.startswith(b"GET /orders/a/events HTTP/1.1\r\n")
    assert refused.status_code == 503  # an unverified certificate is no upstream
