"""The background workers of the new-connection checks: bounded in time, stopped by `stop()`."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import httpx

from experiments.afchaos import journal

PATH = "/api/v1/chat/completions/stream"
BODY = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"canary"}],"max_tokens":4}'


def one_check(base: str, key: str, timeout: float) -> dict[str, Any]:
    """One short native chat stream on a fresh connection (a new client each time, `Connection: close`)."""
    started = time.time()
    row: dict[str, Any] = {"time": started, "pod": None, "status": 0, "outcome": "ok", "error": None}
    headers = {"Content-Type": "application/json", "X-API-Key": key, "Connection": "close"}
    try:
        with httpx.Client(timeout=timeout) as client, client.stream("POST", base + PATH, content=BODY,
                                                                     headers=headers) as resp:
            row["status"], row["pod"] = resp.status_code, resp.headers.get("X-AgentFlow-Pod")
            body = b"".join(resp.iter_raw())
        if row["status"] != 200:
            row["outcome"], row["error"] = "http_error", _error_code(body)
        elif b"event: error" in body or b"data: [DONE]" not in body:
            row["outcome"] = "stream_error" if b"event: error" in body else "truncated"
    except httpx.ConnectError as exc:
        row["outcome"], row["error"] = "connect_error", type(exc).__name__
    except httpx.HTTPError as exc:
        row["outcome"], row["error"] = "truncated", type(exc).__name__
    row["end"] = time.time()
    return row


def _error_code(body: bytes) -> str | None:
    marker = b'"code":"'
    at = body.find(marker)
    if at < 0:
        return None
    end = body.find(b'"', at + len(marker))
    return body[at + len(marker):end].decode(errors="replace") if end > 0 else None


class NewConnectionChecks:
    """`workers` threads, each running one check every `interval` s until `stop()` or `max_seconds`."""

    def __init__(self, base: str, key_env: str, workers: int, interval: float, timeout: float,
                 max_seconds: float) -> None:
        self.base, self.interval, self.timeout = base.rstrip("/"), interval, timeout
        self.max_seconds = max_seconds
        self._key = os.environ.get(key_env, "")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.rows: list[dict[str, Any]] = []
        self.started = time.time()
        self._threads = [threading.Thread(target=self._loop, name=f"new-connection-check-{i}", daemon=True)
                         for i in range(workers)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def _loop(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            tick = time.monotonic()
            row = one_check(self.base, self._key, self.timeout)
            with self._lock:
                self.rows.append(row)
            journal.record("canary", row)
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - tick)))

    def stop(self, timeout: float = 15.0) -> list[dict[str, Any]]:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return list(self.rows)
