"""Request rules: auth (401, fail-closed 503, multiple keys, key file, JWT), strict JSON, the 1 MiB limit,
request ids, routing (404/405), health endpoints, rate limits with and without X-Forwarded-For, the
one-run-per-agent rule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading

import httpx
from agentflow_helpers import AUTH, CHAT, FAST, KEY, parse_sse

NATIVE = "/api/v1/chat/completions"
STREAM = "/api/v1/chat/completions/stream"


def _assert_envelope(resp: httpx.Response, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    env = resp.json()
    assert env["success"] is False and env["error"]["code"] == code
    assert isinstance(env["error"]["message"], str) and isinstance(env["error"]["retryable"], bool)
    assert env["request_id"].startswith("req-") and env["timestamp"].endswith("Z")
    return env


def test_auth_required_and_multiple_keys(make_server):
    srv = make_server(args=FAST, api_key="k-one,k-two")
    with httpx.Client(base_url=srv.url, timeout=10) as client:
        _assert_envelope(client.post(STREAM, json=CHAT), 401, "AUTHENTICATION")
        _assert_envelope(client.post(STREAM, json=CHAT, headers={"X-API-Key": "wrong"}), 401, "AUTHENTICATION")
        for key in ("k-one", "k-two"):
            assert client.post(NATIVE, json=CHAT, headers={"X-API-Key": key}).status_code == 200
        # middleware order: an unauthenticated unknown path is 401, an authenticated one 404
        assert client.get("/nope").status_code == 401
        assert client.get("/healthz").status_code == 200  # health needs no key
    assert not any("k-one" in line for line in srv.stdout_lines + srv.stderr_lines)


def test_fail_closed_without_keys(make_server):
    srv = make_server(args=FAST, api_key=None)
    with httpx.Client(base_url=srv.url, timeout=10) as client:
        _assert_envelope(client.post(STREAM, json=CHAT, headers=AUTH), 503, "SERVICE_UNAVAILABLE")
        assert client.get("/health").status_code == 200 and client.get("/ready").status_code == 200


def test_key_file_and_jwt(make_server, tmp_path):
    key_file = tmp_path / "keys"
    key_file.write_text("file-key\n")
    srv = make_server(args=[*FAST, "--api-key-file", str(key_file)], api_key=None,
                      env={"AGENTFLOW_JWT_SECRET": "s" * 32})

    def jwt(secret: bytes, claims: dict) -> str:
        def enc(obj: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
        head = enc({"alg": "HS256", "typ": "JWT"}) + "." + enc(claims)
        sig = hmac.new(secret, head.encode(), hashlib.sha256).digest()
        return head + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()

    with httpx.Client(base_url=srv.url, timeout=10) as client:
        assert client.post(NATIVE, json=CHAT, headers={"X-API-Key": "file-key"}).status_code == 200
        good = {"Authorization": "Bearer " + jwt(b"s" * 32, {"tenant_id": "t1"})}
        bad = {"Authorization": "Bearer " + jwt(b"x" * 32, {"tenant_id": "t1"})}
        assert client.post(NATIVE, json=CHAT, headers=good).status_code == 200
        _assert_envelope(client.post(NATIVE, json=CHAT, headers=bad), 401, "AUTHENTICATION")


def test_strict_json_validation(server):
    cases = [
        ({**CHAT, "stream": True}, STREAM),  # native chat has no stream field: unknown field
        ({**CHAT, "bogus": 1}, NATIVE),
        ({"messages": CHAT["messages"]}, NATIVE),  # model required
        ({"model": "m", "messages": []}, STREAM),
        ({"model": "m", "messages": [{"role": "user", "content": "x", "extra": 1}]}, STREAM),
        ({**CHAT, "max_tokens": "ten"}, NATIVE),
        ({"agent_id": "a", "content": "x", "bogus": True}, "/api/v1/agents/execute/stream"),
        ({"agent_id": "", "content": "x"}, "/api/v1/agents/execute/stream"),
        ({"agent_id": "bad id!", "content": "x"}, "/api/v1/agents/execute/stream"),
    ]
    with httpx.Client(base_url=server.url, timeout=10, headers=AUTH) as client:
        for body, path in cases:
            _assert_envelope(client.post(path, json=body), 400, "INVALID_REQUEST")
        env = _assert_envelope(client.post(NATIVE, json={**CHAT, "bogus": 1}), 400, "INVALID_REQUEST")
        assert env["error"]["message"] == "invalid JSON body"
        _assert_envelope(client.post(NATIVE, content=json.dumps(CHAT), headers={"Content-Type": "text/plain"}),
                         400, "INVALID_REQUEST")
        _assert_envelope(client.post(NATIVE, content=b"{not json", headers={"Content-Type": "application/json"}),
                         400, "INVALID_REQUEST")
        # OpenAI routes answer their own error shape
        resp = client.post("/v1/chat/completions", json={**CHAT, "bogus": 1})
        assert resp.status_code == 400
        assert resp.json()["error"]["type"] == "invalid_request_error" and "success" not in resp.json()


def test_body_limit_one_mib(server):
    def body_of(size: int) -> bytes:
        base = json.dumps({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": ""}]})
        return base.replace('"content": ""', '"content": "' + "a" * (size - len(base)) + '"').encode()

    headers = {**AUTH, "Content-Type": "application/json"}
    with httpx.Client(base_url=server.url, timeout=20) as client:
        ok = body_of(1 << 20)
        assert len(ok) == 1 << 20
        assert client.post(NATIVE, content=ok, headers=headers).status_code == 200
        _assert_envelope(client.post(NATIVE, content=body_of((1 << 20) + 1), headers=headers), 400,
                         "INVALID_REQUEST")
        assert client.get("/healthz").status_code == 200  # server still fine afterwards


def test_request_id_echoed_or_generated_and_pod_header(server):
    with httpx.Client(base_url=server.url, timeout=10) as client:
        echoed = client.get("/healthz", headers={"X-Request-ID": "my-id-123"})
        assert echoed.headers["x-request-id"] == "my-id-123" and echoed.json()["request_id"] == "my-id-123"
        generated = client.post(STREAM, json=CHAT)
        rid = generated.headers["x-request-id"]
        assert rid.startswith("req-") and len(rid) == 36 and int(rid[4:], 16) >= 0
        for resp in (echoed, generated, client.get("/nope", headers=AUTH)):
            assert resp.headers["x-agentflow-pod"] == "ref-shared"


def test_routing_and_health(server):
    with httpx.Client(base_url=server.url, timeout=10, headers=AUTH) as client:
        nf = client.get("/api/v1/unknown")
        assert nf.status_code == 404 and nf.text == "404 page not found\n"
        assert nf.headers["content-type"].startswith("text/plain")
        wrong = client.get(STREAM)
        assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
        assert wrong.headers["content-type"].startswith("text/plain")
        for path in ("/health", "/healthz"):
            body = client.get(path).json()
            assert body["success"] is True and body["data"]["status"] == "healthy"
        for path in ("/ready", "/readyz"):
            resp = client.get(path)
            assert resp.status_code == 200
            assert set(resp.json()["data"]["checks"]) >= {"database", "mongodb", "redis"}
        assert client.get("/version").json()["data"]["version"] == "v1.11.3-reference"


def test_ip_rate_limit_and_xff_spreading(make_server):
    srv = make_server(args=[*FAST, "--ip-rate", "1", "--ip-burst", "5", "--tenant-rate", "0"])
    with httpx.Client(base_url=srv.url, timeout=10, headers=AUTH) as client:
        codes = [client.get("/probe").status_code for _ in range(8)]
        assert codes[:5] == [404] * 5 and codes[5:] == [429] * 3
        limited = client.get("/probe")
        env = _assert_envelope(limited, 429, "RATE_LIMIT")
        assert env["error"]["retryable"] is True and "retry-after" not in limited.headers
        # distinct simulated clients via X-Forwarded-For (peer is loopback, so it is trusted)
        spread = [client.get("/probe", headers={"X-Forwarded-For": f"10.1.0.{i}, 127.0.0.1"}).status_code
                  for i in range(20)]
        assert spread == [404] * 20
        assert client.get("/healthz").status_code == 200  # health is not rate limited


def test_tenant_rate_limit(make_server):
    srv = make_server(args=[*FAST, "--ip-rate", "0", "--tenant-rate", "1", "--tenant-burst", "3"])
    with httpx.Client(base_url=srv.url, timeout=10, headers=AUTH) as client:
        codes = [client.get("/probe").status_code for _ in range(5)]
        assert codes == [404, 404, 404, 429, 429]
        assert client.get("/probe", headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 404


def test_one_run_per_agent_id(make_server):
    srv = make_server(args=["--ttft", "const:0.3", "--itl", "const:0.01", "--output-tokens", "const:20",
                            "--ip-rate", "0", "--tenant-rate", "0", "--drain-idle", "0.1"])
    path = "/api/v1/agents/execute/stream"
    started = threading.Event()
    first: dict = {}

    def run_first() -> None:
        with httpx.Client(timeout=10) as client, client.stream(
                "POST", srv.url + path, json={"agent_id": "busy-agent", "content": "x"}, headers=AUTH) as resp:
            started.set()
            first["text"] = resp.read().decode()

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        assert started.wait(5)
        with httpx.Client(base_url=srv.url, timeout=10, headers=AUTH) as client:
            env = _assert_envelope(client.post(path, json={"agent_id": "busy-agent", "content": "y"}), 500,
                                   "INTERNAL_ERROR")
            assert env["error"]["message"] == "agent operation failed"
            other = client.post(path, json={"agent_id": "other-agent", "content": "y"})
            assert other.status_code == 200 and parse_sse(other.text).events[-1][1] == "[DONE]"
    finally:
        thread.join(10)
    assert parse_sse(first["text"]).events[-1][1] == "[DONE]"
    with httpx.Client(base_url=srv.url, timeout=10, headers=AUTH) as client:  # free again afterwards
        assert client.post(path, json={"agent_id": "busy-agent", "content": "z"}).status_code == 200
    assert KEY not in "".join(srv.stdout_lines + srv.stderr_lines)


def test_output_tokens_hint_sets_the_stream_length_capped_by_max_tokens():
    """The suite's long-stream hint (metadata.afsuite_output_tokens) is honoured, capped by max_tokens."""
    from localcluster.agentflow.process import ReferenceServer

    with ReferenceServer(api_key="k", args=["--ttft", "const:0.01", "--itl", "const:0.001"]) as srv:
        for hint, max_tokens, expected in ((150, 400, 150), (150, 90, 90)):
            body = {"model": "m", "max_tokens": max_tokens, "messages": [{"role": "user", "content": "hi"}],
                    "metadata": {"afsuite_output_tokens": str(hint)}}
            with httpx.stream("POST", srv.url + "/api/v1/chat/completions/stream", json=body,
                              headers={"X-API-Key": "k"}, timeout=30) as resp:
                text = resp.read().decode()
            chunks = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]
            contents = [c for c in chunks if (c.get("delta") or {}).get("content")]
            assert len(contents) == expected, (hint, max_tokens, len(contents))
