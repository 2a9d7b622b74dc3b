"""Helpers for the reference-server tests: constants, an SSE parser, deadline-bounded waits."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

KEY = "test-key"
FAST = ["--ttft", "const:0.02", "--itl", "const:0.005", "--output-tokens", "const:8", "--seed", "7",
        "--ip-rate", "0", "--tenant-rate", "0", "--drain-idle", "0.1"]
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hello there"}]}
AUTH = {"X-API-Key": KEY}


def wait_until(pred: Callable[[], object], timeout: float, interval: float = 0.02, what: str = "condition"):
    """Poll ``pred`` until it returns a truthy value; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@dataclass
class SSE:
    events: list[tuple[str | None, str]] = field(default_factory=list)  # (event name, data)
    comments: list[str] = field(default_factory=list)

    def datas(self, name: str | None = None) -> list[str]:
        return [d for e, d in self.events if e == name]

    def names(self) -> list[str | None]:
        return [e for e, _ in self.events]

    def json(self, name: str | None = None) -> list[dict]:
        return [json.loads(d) for d in self.datas(name) if d != "[DONE]"]


def parse_sse(text: str) -> SSE:
    out = SSE()
    for block in text.split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith(":"):
                out.comments.append(line[1:].strip())
            elif line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if data:
            out.events.append((name, "\n".join(data)))
    return out


def stream(url: str, path: str, body: dict, headers: dict | None = None, timeout: float = 10.0):
    """POST and read a whole stream; returns (response, parsed SSE, raw text)."""
    with httpx.Client(timeout=timeout) as client:
        resp = client.post(url + path, json=body, headers={**AUTH, **(headers or {})})
        return resp, parse_sse(resp.text), resp.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def metric_value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        named = line.startswith(name + "{") or line.startswith(name + " ")
        if named and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None
