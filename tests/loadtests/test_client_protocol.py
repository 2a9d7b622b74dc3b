"""StreamingClient edge cases the reference server does not produce on demand, against a scripted TCP server.

The server is a real socket server on 127.0.0.1 (an OS thread); each accepted connection runs the next
script, which reads real requests and writes exact bytes: stale kept-alive connections, cuts in the middle of
a chunked body, resets, bodies delimited by close, a final chunk that arrives late.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator

import pytest

from loadtests.bodies import AgentPool, BodyConfig, make_request
from loadtests.record import StreamRecord
from loadtests.streaming import StreamingClient
from rundir.layout import CONNECT_ERROR, HTTP_ERROR, OK, TRUNCATED

Script = Callable[[socket.socket], None]
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
CFG = BodyConfig(prompt_chars={"dist": "const", "value": 20}, max_tokens={"dist": "const", "value": 4})


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def event(text: str) -> bytes:
    return chunk(b"data: " + json.dumps({"delta": {"content": text}}).encode() + b"\n\n")


FULL = HEAD + event("a") + event("b") + chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"


def read_request(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            return b""
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += sock.recv(65536)
    return head


class ScriptedServer:
    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = scripts
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for script in self.scripts:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                try:
                    script(conn)
                except BaseException as exc:  # surfaced by the test through self.errors
                    self.errors.append(exc)

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def scripted() -> Iterator[Callable[[list[Script]], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def make(scripts: list[Script]) -> ScriptedServer:
        servers.append(ScriptedServer(scripts))
        return servers[-1]

    yield make
    for server in servers:
        server.close()
        assert not server.errors, server.errors


def run(url: str, times: int = 1, **kw: float) -> tuple[StreamingClient, list[StreamRecord]]:
    c = StreamingClient(url, "k", connect_timeout=2.0, stream_timeout=kw.get("stream_timeout", 5.0), worker="p")
    reqs = [make_request("native_chat", CFG, random.Random(i), AgentPool(1)) for i in range(times)]
    return c, [c.stream(r, scheduled=None, stage="s", open_loop=False) for r in reqs]


def test_stale_kept_alive_connection_is_retried_once_on_a_fresh_one(scripted) -> None:
    def first(sock: socket.socket) -> None:
        read_request(sock)
        sock.sendall(FULL)
        assert read_request(sock)  # the second request comes on the kept-alive connection: close, no answer

    def second(sock: socket.socket) -> None:
        read_request(sock)
        sock.sendall(FULL)

    server = scripted([first, second])
    _c, records = run(server.url, times=2)
    assert [r.outcome for r in records] == [OK, OK] and server.accepted == 2
    assert all(r.events == 2 for r in records)


def test_fresh_connection_closed_before_any_response_is_connect_error(scripted) -> None:
    server = scripted([read_request])  # reads the request, then closes
    _c, [rec] = run(server.url)
    assert (rec.outcome, rec.error, rec.status) == (CONNECT_ERROR, "ConnectionClosed", 0)
    assert rec.sent is not None and rec.headers is None


def test_chunked_body_cut_without_its_last_chunk_is_truncated(scripted) -> None:
    def cut(sock: socket.socket) -> None:
        read_request(sock)
        sock.sendall(HEAD + event("a") + event("b") + b"1f\r\ndata: {\"delta\"")

    _c, [rec] = run(scripted([cut]).url)
    assert (rec.outcome, rec.error, rec.status, rec.events) == (TRUNCATED, "ConnectionClosed", 200, 2)
    assert rec.first_token is not None and rec.end >= rec.last_token


def test_reset_mid_stream_is_truncated(scripted) -> None:
    def rst(sock: socket.socket) -> None:
        read_request(sock)
        sock.sendall(HEAD + event("a"))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    _c, [rec] = run(scripted([rst]).url)
    assert (rec.outcome, rec.status, rec.events) == (TRUNCATED, 200, 1)
    assert rec.error in ("ConnectionResetError", "ConnectionClosed")


def test_body_complete_without_terminator_is_truncated(scripted) -> None:
    def no_done(sock: socket.socket) -> None:
        read_request(sock)
        sock.sendall(HEAD + event("a") + b"0\r\n\r\n")

    _c, [rec] = run(scripted([no_done]).url)
    assert (rec.outcome, rec.error, rec.events) == (TRUNCATED, "NO_TERMINATOR", 1)


def test_body_delimited_by_close_and_late_last_chunk(scripted) -> None:
    def by_close(sock: socket.socket) -> None:
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                     b"data: {\"delta\":{\"content\":\"x\"}}\r\n\r\ndata: [DONE]\r\n\r\n")

    c, [rec] = run(scripted([by_close]).url)
    assert (rec.outcome, rec.events) == (OK, 1) and not c._idle

    def late_last_chunk(sock: socket.socket) -> None:
        read_request(sock)
        sock.sendall(HEAD + event("a") + chunk(b"data: [DONE]\n\n"))
        sock.sendall(b"0\r\n\r\n")  # a separate segment, as Go writes it when the handler returns
        read_request(sock)
        sock.sendall(FULL)

    c, records = run(scripted([late_last_chunk]).url, times=2)
    assert [r.outcome for r in records] == [OK, OK] and len(c._idle) == 1


def test_non_stream_200_and_plain_text_errors(scripted) -> None:
    def json_200(sock: socket.socket) -> None:
        read_request(sock)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        read_request(sock)
        sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n\r\n"
                     b"404 page not found")

    c, records = run(scripted([json_200]).url, times=2)
    assert [(r.outcome, r.status, r.error) for r in records] == [
        (HTTP_ERROR, 200, "NOT_EVENT_STREAM"), (HTTP_ERROR, 404, "HTTP_404")]
    assert len(c._idle) == 1  # both bodies were complete: the connection was kept


@pytest.fixture
def tls_files(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    done = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                           str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                           "subjectAltName=IP:127.0.0.1"], capture_output=True, timeout=60)
    if done.returncode != 0:
        pytest.skip(f"openssl could not make a test certificate: {done.stderr[-200:]!r}")
    return key, cert


def test_tls_stream_with_keep_alive(scripted, tls_files) -> None:
    key, cert = tls_files
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)

    def tls(sock: socket.socket) -> None:
        with server_ctx.wrap_socket(sock, server_side=True) as conn:
            for _ in range(2):
                read_request(conn)
                conn.sendall(HEAD + event("a"))
                conn.sendall(event("b") + chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")

    server = scripted([tls])
    client_ctx = ssl.create_default_context(cafile=str(cert))
    c = StreamingClient(server.url.replace("http:", "https:"), "k", connect_timeout=5.0, stream_timeout=5.0,
                        worker="p", ssl_context=client_ctx)
    reqs = [make_request("native_chat", CFG, random.Random(i), AgentPool(1)) for i in range(2)]
    records = [c.stream(r, scheduled=None, stage="s", open_loop=False) for r in reqs]
    assert [(r.outcome, r.events) for r in records] == [(OK, 2), (OK, 2)] and server.accepted == 1
    c.close()


def test_tls_with_an_untrusted_certificate_is_connect_error(scripted, tls_files) -> None:
    key, cert = tls_files
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)

    def tls(sock: socket.socket) -> None:
        with contextlib.suppress(ssl.SSLError, OSError):
            server_ctx.wrap_socket(sock, server_side=True).close()

    server = scripted([tls])
    _c, [rec] = run(server.url.replace("http:", "https:"))
    assert (rec.outcome, rec.error) == (CONNECT_ERROR, "SSLCertVerificationError")
