"""Long streams opened through the service, held in background threads, with the pod that serves each.

Each stream asks for `tokens` output tokens (prompt + max_tokens; the reference server also reads the
`metadata.afsuite_output_tokens` hint, which real AgentFlow ignores as free-form metadata). A stream's outcome
is judged like the load's: `ok` only when `[DONE]` arrived with no error event before it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass

import httpx

PATH = "/api/v1/chat/completions/stream"


@dataclass
class LongStream:
    index: int
    pod: str | None = None
    status: int = 0
    outcome: str = "pending"  # pending | ok | stream_error | truncated | connect_error | http_error
    events: int = 0
    started: float = 0.0
    headers: float | None = None
    ended: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _body(tokens: int) -> bytes:
    return json.dumps({
        "model": "gpt-4o-mini", "max_tokens": tokens,
        "messages": [{"role": "user", "content": f"Write a detailed report of about {tokens} tokens."}],
        "metadata": {"afsuite_output_tokens": str(tokens)},
    }).encode()


def _run(stream: LongStream, url: str, key: str, tokens: int, timeout: float) -> None:
    headers = {"Content-Type": "application/json", "X-API-Key": key}
    stream.started = time.time()
    try:
        with httpx.Client(timeout=httpx.Timeout(10.0, read=timeout)) as client, client.stream(
                "POST", url + PATH, content=_body(tokens), headers=headers) as resp:
            stream.status, stream.headers = resp.status_code, time.time()
            stream.pod = resp.headers.get("X-AgentFlow-Pod")
            if resp.status_code != 200:
                stream.outcome = "http_error"
                return
            stream.outcome = _consume(stream, resp)
    except httpx.ConnectError as exc:
        stream.outcome, stream.error = "connect_error", type(exc).__name__
    except httpx.HTTPError as exc:
        stream.outcome, stream.error = "truncated", type(exc).__name__
    finally:
        stream.ended = time.time()


def _consume(stream: LongStream, resp: httpx.Response) -> str:
    buffer = b""
    for chunk in resp.iter_raw():
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            if b"event: error" in event:
                return "stream_error"
            if event.startswith(b"data: [DONE]"):
                return "ok"
            if b'"content"' in event:
                stream.events += 1
    return "truncated"


class LongStreams:
    """`start()` opens `count` streams; `wait_served()` waits for their response headers; `join()` waits for
    their ends (bounded)."""

    def __init__(self, url: str, key_env: str, count: int, tokens: int, timeout: float) -> None:
        self.streams = [LongStream(i) for i in range(count)]
        key = os.environ.get(key_env, "")
        self._threads = [threading.Thread(target=_run, args=(s, url.rstrip("/"), key, tokens, timeout),
                                          name=f"long-stream-{s.index}", daemon=True) for s in self.streams]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def wait_served(self, deadline_s: float) -> list[str]:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if all(s.headers is not None or s.ended is not None for s in self.streams):
                break
            time.sleep(0.05)
        return sorted({s.pod for s in self.streams if s.pod and s.outcome == "pending"})

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
