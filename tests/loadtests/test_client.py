"""StreamingClient against the real reference server: every outcome class produced for real by its knobs."""

from __future__ import annotations

import random
import re
import socket
import time
from collections.abc import Callable, Iterator

import gevent
import pytest

from loadtests.bodies import AgentPool, BodyConfig, StreamRequest, make_request
from loadtests.record import StreamRecord
from loadtests.streaming import StreamingClient, active_streams
from localcluster.agentflow.process import ReferenceServer
from rundir.layout import CONNECT_ERROR, ENDPOINTS, HTTP_ERROR, OK, STREAM_ERROR, TIMEOUT, TRUNCATED

KEY = "client-test-key"
FAST = ["--ttft", "const:0.01", "--itl", "const:0.002", "--output-tokens", "const:8", "--tool-call-prob", "0"]
CFG = BodyConfig(prompt_chars={"dist": "const", "value": 60}, max_tokens={"dist": "const", "value": 8})
LONG = BodyConfig(prompt_chars={"dist": "const", "value": 60}, max_tokens={"dist": "const", "value": 1000})


def wait_until(pred: Callable[[], bool], timeout: float) -> None:
    """Let other greenlets run until ``pred()`` holds (fails after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached in time"
        gevent.sleep(0.005)


def request(endpoint: str, agents: AgentPool | None = None, rng: random.Random | None = None,
            cfg: BodyConfig = CFG) -> StreamRequest:
    return make_request(endpoint, cfg, rng or random.Random(7), agents or AgentPool(4))


def client(url: str, key: str | None = KEY, **kw: float) -> StreamingClient:
    opts = {"connect_timeout": 2.0, "stream_timeout": 10.0, **kw}
    return StreamingClient(url, key, worker="t", **opts)


def stream(c: StreamingClient, req: StreamRequest, scheduled: float | None = None) -> StreamRecord:
    return c.stream(req, scheduled=scheduled, stage="test", open_loop=scheduled is not None)


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(api_key=KEY, pod_name="pod-a", args=FAST) as srv:
        yield srv


def assert_ordered(rec: StreamRecord) -> None:
    times = [rec.scheduled, rec.sent, rec.headers, rec.first_token, rec.last_token, rec.end]
    present = [t for t in times if t is not None]
    assert present == sorted(present), times


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_ok_stream_is_fully_timed(server: ReferenceServer, endpoint: str) -> None:
    c = client(server.url)
    rec = stream(c, request(endpoint))
    assert (rec.outcome, rec.status, rec.error) == (OK, 200, None)
    assert rec.events == 8 and rec.gap_count == 7 and len(rec.gap_sample) == 7
    assert rec.gap_max >= rec.gap_p99 >= rec.gap_p50 >= 0 and rec.gap_mean > 0
    assert rec.scheduled == rec.sent and not rec.open_loop
    assert_ordered(rec)
    assert rec.pod == "pod-a"
    assert re.fullmatch(r"[0-9a-f]{32}", rec.request_id or "")  # ours, echoed back by the server
    assert rec.bytes > 0 and rec.prompt_chars == 60
    assert (rec.agent_id is not None) is (endpoint == "agent_run")
    if endpoint == "native_chat":
        assert rec.usage_tokens == 8
    row = rec.to_row()
    assert row["outcome"] == "ok" and row["worker"] == "t" and row["stage"] == "test"
    c.close()


def test_keep_alive_connection_is_reused(server: ReferenceServer) -> None:
    c = client(server.url)
    stream(c, request("native_chat"))
    assert len(c._idle) == 1
    port = c._idle[0].sock.getsockname()[1]
    for endpoint in ENDPOINTS:
        assert stream(c, request(endpoint)).outcome == OK
    assert len(c._idle) == 1 and c._idle[0].sock.getsockname()[1] == port
    c.close()
    assert not c._idle


def test_open_loop_keeps_the_scheduled_time(server: ReferenceServer) -> None:
    scheduled = time.time() - 0.5
    rec = stream(client(server.url), request("openai_chat"), scheduled=scheduled)
    assert rec.open_loop and rec.scheduled == scheduled and rec.sent - scheduled >= 0.5
    assert rec.ttft is not None and rec.ttft >= 0.5


def test_bad_key_is_http_error_401(server: ReferenceServer) -> None:
    c = client(server.url, key="wrong-key")
    for endpoint in ENDPOINTS:
        rec = stream(c, request(endpoint))
        assert (rec.outcome, rec.status, rec.error) == (HTTP_ERROR, 401, "AUTHENTICATION")
        assert rec.first_token is None and rec.events == 0 and rec.end is not None
    assert "wrong-key" not in repr(c)


def test_closed_port_is_connect_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rec = stream(client(f"http://127.0.0.1:{port}"), request("native_chat"))
    assert (rec.outcome, rec.status, rec.error) == (CONNECT_ERROR, 0, "ConnectionRefusedError")
    assert rec.sent is None and rec.end is not None and rec.scheduled is not None


def test_slow_stream_times_out(server: ReferenceServer) -> None:
    with ReferenceServer(api_key=KEY, args=["--ttft", "const:0.01", "--itl", "const:0.2",
                                            "--output-tokens", "const:50"]) as slow:
        rec = stream(client(slow.url, stream_timeout=0.5), request("native_chat", cfg=LONG))
    assert (rec.outcome, rec.error, rec.status) == (TIMEOUT, "StreamTimeout", 200)
    assert 1 <= rec.events <= 4 and rec.end - rec.sent >= 0.5
    assert active_streams() == 0


def test_rate_limit_is_http_error_429() -> None:
    with ReferenceServer(api_key=KEY, args=[*FAST, "--ip-rate", "0.1", "--ip-burst", "1"]) as srv:
        c = client(srv.url)
        records = [stream(c, request("native_chat")) for _ in range(3)]
    assert records[0].outcome == OK
    assert [(r.outcome, r.status, r.error) for r in records[1:]] == [(HTTP_ERROR, 429, "RATE_LIMIT")] * 2


def test_error_rate_gives_the_server_error_code() -> None:
    args = [*FAST, "--error-rate", "1", "--error-code", "MODEL_OVERLOADED"]
    with ReferenceServer(api_key=KEY, args=args) as srv:
        c = client(srv.url)
        records = [stream(c, request(endpoint)) for endpoint in ENDPOINTS]
    assert [(r.outcome, r.status, r.error) for r in records] == [(HTTP_ERROR, 503, "MODEL_OVERLOADED")] * 3


def test_mid_stream_error_event_is_stream_error() -> None:
    with ReferenceServer(api_key=KEY, args=[*FAST, "--stream-error-rate", "1"]) as srv:
        c = client(srv.url)
        records = [stream(c, request(endpoint)) for endpoint in ENDPOINTS]
        assert stream(c, request("native_chat")).outcome == STREAM_ERROR  # the connection stays usable
    for rec in records:
        assert (rec.outcome, rec.status, rec.error) == (STREAM_ERROR, 200, "UPSTREAM_ERROR"), rec.endpoint
        assert rec.end is not None and rec.events < 8
        assert_ordered(rec)


def test_write_timeout_truncates_the_stream() -> None:
    args = ["--ttft", "const:0.01", "--itl", "const:0.05", "--output-tokens", "const:100", "--write-timeout", "0.4"]
    with ReferenceServer(api_key=KEY, lifecycle="agentflow-1.11", args=args) as srv:
        rec = stream(client(srv.url), request("native_chat", cfg=LONG))
    assert (rec.outcome, rec.status) == (TRUNCATED, 200)
    assert 1 <= rec.events < 100 and rec.error == "ConnectionClosed"


def test_killed_server_truncates_the_stream_and_then_refuses() -> None:
    args = ["--ttft", "const:0.01", "--itl", "const:0.05", "--output-tokens", "const:200", "--debug-stamps"]
    with ReferenceServer(api_key=KEY, args=args) as srv:
        c = client(srv.url)
        c.lag_sink = []
        job = gevent.spawn(stream, c, request("native_chat", cfg=LONG))
        wait_until(lambda: len(c.lag_sink or []) >= 3, timeout=5.0)  # token events are flowing
        srv.kill()
        rec = job.get(timeout=5.0)
        assert srv.wait(5.0) is not None
    assert (rec.outcome, rec.status) == (TRUNCATED, 200)
    assert rec.events >= 1 and rec.error in ("ConnectionClosed", "ConnectionResetError")
    after = stream(c, request("native_chat"))
    assert after.outcome == CONNECT_ERROR


def test_concurrent_agent_runs_never_share_an_agent_id(server: ReferenceServer) -> None:
    agents = AgentPool(1)  # smaller than the concurrency: the pool must mint new ids, not reuse a busy one
    c = client(server.url)
    rng = random.Random(3)

    def one() -> StreamRecord:
        req = request("agent_run", agents, rng)
        try:
            return stream(c, req)
        finally:
            agents.release(req.agent_id or "")

    jobs = [gevent.spawn(one) for _ in range(4)]
    records = [job.get(timeout=10) for job in jobs]
    assert [r.outcome for r in records] == [OK] * 4
    assert len({r.agent_id for r in records}) == 4 and agents.overflow == 3 and agents.busy == 0
    assert len(c._idle) == 4  # one kept-alive connection per concurrent stream
    c.close()
