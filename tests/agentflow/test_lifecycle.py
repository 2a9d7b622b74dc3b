"""Shutdown and start-up behaviour of the two lifecycle modes, and Go's write timeout."""

from __future__ import annotations

import socket
import threading
import time

import httpx
from agentflow_helpers import AUTH, CHAT, parse_sse, wait_until

SLOW = ["--ttft", "const:0.05", "--itl", "const:0.05", "--ip-rate", "0", "--tenant-rate", "0", "--drain-idle", "0.1"]
STREAM = "/api/v1/chat/completions/stream"


class StreamReader(threading.Thread):
    """Reads one stream in the background, recording text, first-token time, end time and error."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.text = ""
        self.first = threading.Event()
        self.error: Exception | None = None
        self.ended = 0.0

    def run(self) -> None:
        try:
            with httpx.Client(timeout=30) as client, client.stream("POST", self.url + STREAM, json=CHAT,
                                                                    headers=AUTH) as resp:
                for chunk in resp.iter_text():
                    self.text += chunk
                    if "content" in self.text:
                        self.first.set()
        except httpx.HTTPError as exc:
            self.error = exc
        finally:
            self.ended = time.monotonic()
            self.first.set()


def _refused(port: int) -> bool:
    """The listener takes no new connection: refused, or reset (a connect that raced the listener's close sat in
    its accept backlog and was reset with it; seen under a loaded 2-core machine)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        return True


def _idle_keepalive_connection(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b'"healthy"' not in data:
        data += sock.recv(65536)
    return sock


def test_agentflow_111_sigterm_refuses_at_once_and_truncates_streams(make_server):
    srv = make_server(lifecycle="agentflow-1.11",
                      args=[*SLOW, "--output-tokens", "const:200", "--shutdown-timeout", "3.0"])
    idle = _idle_keepalive_connection(srv.port)
    reader = StreamReader(srv.url)
    reader.start()
    assert reader.first.wait(5) and reader.error is None
    sigterm = time.monotonic()
    srv.terminate()
    # "At once": refused long before the 3 s shutdown timeout (margin for a loaded 2-core CI machine).
    wait_until(lambda: _refused(srv.port), timeout=1.5, what="listener closed after SIGTERM")
    assert time.monotonic() - sigterm < 1.5 and srv.returncode is None  # refused while still running
    assert idle.recv(1024) == b""  # idle keep-alive connection closed by the server
    idle.close()
    reader.join(10)
    assert isinstance(reader.error, httpx.RemoteProtocolError)  # incomplete chunked body: a TCP close
    sse = parse_sse(reader.text)
    assert "[DONE]" not in reader.text and "error" not in sse.names()
    assert 5 < len(sse.events) < 200
    assert 2.8 <= reader.ended - sigterm < 5.0  # cut at --shutdown-timeout
    assert srv.wait(5) == 0


def test_agentflow_111_stream_within_timeout_completes(make_server):
    srv = make_server(lifecycle="agentflow-1.11",
                      args=[*SLOW, "--output-tokens", "const:12", "--shutdown-timeout", "5"])
    reader = StreamReader(srv.url)
    reader.start()
    assert reader.first.wait(5)
    srv.terminate()
    reader.join(10)
    assert reader.error is None and reader.text.endswith("data: [DONE]\n\n")
    assert srv.wait(3) == 0  # exits once the last request finished, well before the timeout


def test_agentflow_111_exits_early_when_nothing_in_flight(make_server):
    srv = make_server(lifecycle="agentflow-1.11", args=[*SLOW, "--shutdown-timeout", "15"])
    start = time.monotonic()
    srv.terminate()
    assert srv.wait(5) == 0 and time.monotonic() - start < 3


def test_write_timeout_truncates_long_streams(make_server):
    srv = make_server(lifecycle="agentflow-1.11",
                      args=[*SLOW, "--output-tokens", "const:60", "--write-timeout", "0.6"])
    reader = StreamReader(srv.url)
    begin = time.monotonic()
    reader.run()
    assert isinstance(reader.error, httpx.RemoteProtocolError)
    events = len(parse_sse(reader.text).events)
    assert 3 <= events <= 14 and "[DONE]" not in reader.text
    assert reader.ended - begin < 2.0
    with httpx.Client(timeout=10) as client:  # the server itself carries on
        assert client.get(srv.url + "/healthz").status_code == 200


def test_graceful_drain_finishes_streams_and_flips_ready(make_server):
    srv = make_server(lifecycle="graceful", args=[*SLOW, "--output-tokens", "const:30", "--drain-idle", "0.3"])
    reader = StreamReader(srv.url)
    reader.start()
    assert reader.first.wait(5)
    srv.terminate()
    with httpx.Client(timeout=5) as client:
        ready = wait_until(lambda: (r := client.get(srv.url + "/ready")).status_code == 503 and r, timeout=2,
                           what="/ready 503 during drain")
        assert ready.json()["data"]["status"] == "unhealthy"
        late = client.post(srv.url + "/api/v1/chat/completions", json=CHAT, headers=AUTH)  # still serving
        assert late.status_code == 200 and late.headers.get("connection") == "close"
    reader.join(10)
    assert reader.error is None and reader.text.endswith("data: [DONE]\n\n")
    assert len(parse_sse(reader.text).json()) == 31
    assert srv.wait(5) == 0


def test_graceful_warmup(make_server):
    srv = make_server(lifecycle="graceful", args=[*SLOW, "--output-tokens", "const:2", "--warmup", "1.0"])
    with httpx.Client(base_url=srv.url, timeout=5) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/ready").status_code == 503
        warming = client.post(STREAM, json=CHAT, headers=AUTH)
        assert warming.status_code == 503 and warming.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        wait_until(lambda: client.get("/ready").status_code == 200, timeout=3, what="end of warm-up")
        assert client.post(STREAM, json=CHAT, headers=AUTH).status_code == 200
