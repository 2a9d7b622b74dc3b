"""Wire format of the stream and JSON endpoints: SSE framing, terminators, error frames, chunked encoding."""

from __future__ import annotations

import json
import socket

import httpx
from agentflow_helpers import AUTH, CHAT, FAST, KEY, parse_sse, stream

SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no"}


def _check_sse_headers(resp: httpx.Response) -> None:
    assert resp.status_code == 200
    for name, value in SSE_HEADERS.items():
        assert resp.headers[name] == value
    assert resp.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in resp.headers
    assert resp.headers["x-agentflow-pod"] == "ref-shared"


def test_native_chat_stream(server):
    resp, sse, raw = stream(server.url, "/api/v1/chat/completions/stream", {**CHAT, "max_tokens": 5})
    _check_sse_headers(resp)
    assert sse.names() == [None] * len(sse.events)  # unnamed data frames only
    assert sse.events[-1] == (None, "[DONE]")
    chunks = sse.json()
    content = [c for c in chunks if c["delta"].get("content")]
    assert len(content) == 5  # max_tokens caps the drawn 8 tokens
    assert chunks[0]["delta"]["role"] == "assistant"
    assert {c["id"] for c in chunks} == {chunks[0]["id"]} and chunks[0]["provider"] and chunks[0]["model"] == "m"
    last = chunks[-1]
    assert last["finish_reason"] == "stop"
    assert last["usage"]["completion_tokens"] == 5
    assert all("usage" not in c for c in chunks[:-1])
    assert raw.endswith("data: [DONE]\n\n")


def test_agent_run_stream(server):
    resp, sse, _ = stream(server.url, "/api/v1/agents/execute/stream", {"agent_id": "frame-1", "content": "hi"})
    _check_sse_headers(resp)
    names = sse.names()
    assert names[0] == "session" and names[1] in ("status", "reasoning")
    assert names[-1] is None and sse.events[-1][1] == "[DONE]"
    tokens = sse.json("token")
    assert len(tokens) == 8
    for payload in tokens + sse.json("session") + sse.json("status"):
        assert "current_stage" in payload and "iteration_count" in payload
    assert all(isinstance(t["content"], str) and t["content"] for t in tokens)
    assert "execution_id" in sse.json("session")[0]
    first_token = names.index("token")
    assert set(names[first_token:-1]) == {"token"}


def test_agent_tool_calls_come_in_pairs(make_server):
    srv = make_server(args=[*FAST, "--tool-call-prob", "1"])
    _, sse, _ = stream(srv.url, "/api/v1/agents/execute/stream", {"agent_id": "tools", "content": "hi"})
    names = sse.names()
    call, result = names.index("tool_call"), names.index("tool_result")
    assert names.index("session") < call < result < names.index("token")
    call_payload, result_payload = sse.json("tool_call")[0], sse.json("tool_result")[0]
    assert {"id", "name", "arguments"} <= call_payload.keys()
    assert result_payload["tool_call_id"] == call_payload["id"]
    assert {"name", "result", "error", "duration"} <= result_payload.keys()
    assert sse.json("token")[0]["iteration_count"] == 2


def test_openai_chat_stream(server):
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    resp, sse, _ = stream(server.url, "/v1/chat/completions", body)
    _check_sse_headers(resp)
    assert sse.events[-1] == (None, "[DONE]")
    chunks = sse.json()
    assert all(c["object"] == "chat.completion.chunk" and "created" in c for c in chunks)
    deltas = [c["choices"][0]["delta"].get("content") for c in chunks]
    assert sum(1 for d in deltas if d) == 8
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == 8


def test_responses_and_messages_streams(server):
    _, sse, _ = stream(server.url, "/v1/responses", {"model": "m", "input": "hi", "stream": True})
    names = sse.names()
    assert names[0] == "response.created" and names.count("response.output_text.delta") == 8
    assert names[-2] == "response.completed" and sse.events[-1][1] == "[DONE]"
    body = {**CHAT, "max_tokens": 4, "stream": True}
    _, sse, raw = stream(server.url, "/v1/messages", body)
    names = sse.names()
    assert names[:2] == ["message_start", "content_block_start"]
    assert names.count("content_block_delta") == 4
    assert names[-1] == "message_stop" and "[DONE]" not in raw


def test_mid_stream_error_frames(make_server):
    srv = make_server(args=[*FAST, "--stream-error-rate", "1"])
    _, sse, raw = stream(srv.url, "/api/v1/chat/completions/stream", CHAT)
    assert sse.names()[-1] == "error" and "[DONE]" not in raw  # native: closes WITHOUT [DONE]
    err = sse.json("error")[0]
    assert set(err) == {"error", "request_id"} and set(err["error"]) == {"code", "message", "retryable"}
    assert 1 <= len(sse.json()) < 8  # some tokens first
    _, sse, _ = stream(srv.url, "/api/v1/agents/execute/stream", {"agent_id": "err-1", "content": "x"})
    assert sse.names()[-2:] == ["error", None] and sse.events[-1][1] == "[DONE]"  # error THEN [DONE]
    assert sse.json("error")[0]["error"]["code"] == "UPSTREAM_ERROR"
    _, sse, _ = stream(srv.url, "/v1/chat/completions", {**CHAT, "stream": True})
    assert sse.events[-1] == (None, "[DONE]")
    err = json.loads(sse.events[-2][1])
    assert err["error"]["type"] == "server_error" and err["error"]["code"] == "UPSTREAM_ERROR"
    assert "message" in err["error"]


def test_non_stream_json(server):
    with httpx.Client(timeout=10) as client:
        native = client.post(server.url + "/api/v1/chat/completions", json=CHAT, headers=AUTH)
        openai = client.post(server.url + "/v1/chat/completions", json=CHAT, headers=AUTH)
    assert native.status_code == 200 and "content-length" in native.headers
    env = native.json()
    assert env["success"] is True and env["request_id"].startswith("req-") and env["timestamp"]
    assert env["data"]["choices"][0]["message"]["content"] and env["data"]["usage"]["completion_tokens"] == 8
    body = openai.json()
    assert body["object"] == "chat.completion" and body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 8 and "content-length" in openai.headers


def _raw_request(port: int, path: str, body: bytes) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


def _read_chunked(sock: socket.socket) -> tuple[bytes, list[bytes]]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    chunks: list[bytes] = []
    while True:
        while b"\r\n" not in rest:
            rest += sock.recv(65536)
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line, 16)
        while len(rest) < size + 2:
            rest += sock.recv(65536)
        assert rest[size:size + 2] == b"\r\n"
        if size == 0:
            return head, chunks
        chunks.append(rest[:size])
        rest = rest[size + 2:]


def test_chunked_encoding_and_keep_alive_on_raw_socket(server):
    body = json.dumps(CHAT).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for _ in range(2):  # two streams on one keep-alive connection
            sock.sendall(_raw_request(server.port, "/api/v1/chat/completions/stream", body))
            head, chunks = _read_chunked(sock)
            assert head.startswith(b"HTTP/1.1 200 OK")
            assert b"\r\nTransfer-Encoding: chunked" in head and b"Content-Length" not in head
            text = b"".join(chunks).decode()
            assert text.endswith("data: [DONE]\n\n")
            assert len(chunks) >= 8  # flushed per event, not one buffered body
            assert len(parse_sse(text).json()) == 9
