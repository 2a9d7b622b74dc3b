"""Fault knobs, each shown to have its effect on a real server process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from agentflow_helpers import AUTH, CHAT, FAST, KEY, free_port, wait_until

from localcluster.agentflow.process import ReferenceServer, ServerStartError

STREAM = "/api/v1/chat/completions/stream"


def test_error_rate_fails_before_streaming(make_server):
    srv = make_server(args=[*FAST, "--error-rate", "1"])
    with httpx.Client(base_url=srv.url, timeout=10, headers=AUTH) as client:
        native = client.post(STREAM, json=CHAT)
        assert native.status_code == 500 and native.json()["error"]["code"] == "INTERNAL_ERROR"
        assert native.headers["content-type"].startswith("application/json")
        agent = client.post("/api/v1/agents/execute/stream", json={"agent_id": "f1", "content": "x"})
        assert agent.status_code == 500 and agent.json()["success"] is False
        openai = client.post("/v1/chat/completions", json={**CHAT, "stream": True})
        assert openai.status_code == 500 and openai.json()["error"]["type"] == "server_error"
    srv2 = make_server(args=[*FAST, "--error-rate", "1", "--error-code", "MODEL_OVERLOADED"])
    with httpx.Client(timeout=10) as client:
        resp = client.post(srv2.url + STREAM, json=CHAT, headers=AUTH)
        assert resp.status_code == 503 and resp.json()["error"] == {
            "code": "MODEL_OVERLOADED", "message": "simulated provider failure", "retryable": True}


def test_error_rate_fraction_is_statistical(make_server):
    srv = make_server(args=[*FAST, "--error-rate", "0.3", "--output-tokens", "const:1", "--ttft", "const:0"])
    with httpx.Client(base_url=srv.url, timeout=10, headers=AUTH) as client:
        codes = [client.post("/api/v1/chat/completions", json=CHAT).status_code for _ in range(200)]
    assert 30 <= codes.count(500) <= 90 and codes.count(200) + codes.count(500) == 200


def test_slow_start_refuses_connections_meanwhile():
    port = free_port()
    env = {"AGENTFLOW_API_KEY": KEY, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    spawned = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "localcluster.agentflow", "--port", str(port),
                             "--metrics-port", "0", "--slow-start", "1.0"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        assert "listening" in proc.stdout.readline()  # type: ignore[union-attr]
        assert time.monotonic() - spawned >= 1.0
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def test_crash_after_exits_abruptly(make_server):
    srv = make_server(args=[*FAST, "--crash-after", "1.5"])
    code = srv.wait(10)
    assert code == 2
    assert any("panic" in line for line in srv.stderr_lines)


def test_crash_before_ready_is_reported():
    with pytest.raises(ServerStartError, match="exited with code 2"):
        ReferenceServer(api_key=KEY, args=[*FAST, "--slow-start", "0.5", "--crash-after", "0.2"]).start()


def test_never_ready(make_server):
    srv = make_server(args=[*FAST, "--never-ready"])
    with httpx.Client(base_url=srv.url, timeout=5) as client:
        for path in ("/ready", "/readyz"):
            resp = client.get(path)
            assert resp.status_code == 503 and resp.json()["data"]["status"] == "unhealthy"
        assert client.get("/healthz").status_code == 200
        assert client.post(STREAM, json=CHAT, headers=AUTH).status_code == 200


def test_hang_after_stops_health_answers(make_server):
    srv = make_server(args=[*FAST, "--hang-after", "1.0"])
    with httpx.Client(base_url=srv.url, timeout=0.5) as client:
        assert client.get("/healthz").status_code == 200

        def hung() -> bool:
            try:
                client.get("/healthz")
                return False
            except httpx.ReadTimeout:
                return True

        wait_until(hung, timeout=4, what="/healthz to stop answering")
        with pytest.raises(httpx.ReadTimeout):
            client.get("/ready")
        resp = httpx.post(srv.url + STREAM, json=CHAT, headers=AUTH, timeout=5)
        assert resp.status_code == 200  # only the health endpoints hang


def test_memory_per_agent_grows_rss(make_server):
    srv = make_server(args=[*FAST, "--output-tokens", "const:1", "--memory-per-agent-kb", "4096"])
    with httpx.Client(timeout=10) as client:
        def stats() -> dict:
            return client.get(srv.metrics_url + "/debug/stats").json()

        before = stats()["rss_bytes"]
        for i in range(10):
            resp = client.post(srv.url + "/api/v1/agents/execute/stream", headers=AUTH,
                               json={"agent_id": f"mem-{i}", "content": "x"})
            assert resp.status_code == 200
        grown = stats()
        for _ in range(5):  # known ids do not grow memory further
            client.post(srv.url + "/api/v1/agents/execute/stream", headers=AUTH,
                        json={"agent_id": "mem-0", "content": "x"})
        again = stats()
    assert grown["agents_cached"] == 10 and again["agents_cached"] == 10
    assert grown["rss_bytes"] - before >= 0.8 * 10 * 4096 * 1024
    assert again["rss_bytes"] - grown["rss_bytes"] < 4 * 1024 * 1024
