"""Stream one request from each AgentFlow stream endpoint and time it (httpx; not the load hot path).

Used by `make demo` before a load run and later by `doctor` to show that a service answers with the key.
The suite's own SSE parser and classifiers (loadtests.sse) decide the outcome, so a probe and a load run
judge a stream the same way.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import httpx

from loadtests.bodies import AgentPool, BodyConfig, make_request
from loadtests.sse import CLASSIFIERS, CONTENT, ERROR, TERMINATOR, SSEParser, error_code_from_body
from rundir.layout import ENDPOINTS


@dataclass(frozen=True, slots=True)
class ProbeResult:
    endpoint: str
    path: str
    status: int
    outcome: str
    ttft: float | None
    e2e: float
    events: int
    pod: str | None
    error: str | None

    def line(self) -> str:
        ttft = f"{self.ttft * 1000:7.1f} ms" if self.ttft is not None else "      n/a"
        pod = f" pod={self.pod}" if self.pod else ""
        err = f" error={self.error}" if self.error else ""
        return (f"{self.endpoint:<12} {self.path:<34} HTTP {self.status:<3} {self.outcome:<12} "
                f"TTFT {ttft}  E2E {self.e2e * 1000:7.1f} ms  events {self.events:3d}{pod}{err}")


def probe(base_url: str, api_key: str | None, endpoint: str, *, timeout: float = 30.0,
          seed: int = 1) -> ProbeResult:
    """One stream to `endpoint`; never raises for a failed stream (the failure is the outcome)."""
    rng = random.Random(seed)
    req = make_request(endpoint, BodyConfig(prompt_chars={"dist": "const", "value": 120}), rng,
                       AgentPool(1, prefix="probe-agent"))
    headers = {"Content-Type": "application/json", **req.headers}
    if api_key:
        headers["X-API-Key"] = api_key
    sent = time.time()
    first: float | None = None
    events, status, pod, error, outcome = 0, 0, None, None, "truncated"
    classify = CLASSIFIERS[endpoint]
    try:
        with httpx.Client(timeout=timeout) as client, client.stream(
            "POST", base_url.rstrip("/") + req.path, content=req.body, headers=headers
        ) as resp:
            status, pod = resp.status_code, resp.headers.get("X-AgentFlow-Pod")
            if status >= 400:
                error = error_code_from_body(resp.read()) or str(status)
                outcome = "http_error"
            else:
                outcome, first, events, error = _read(resp, classify)
    except httpx.TimeoutException:
        outcome = "timeout"
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
        outcome = "truncated" if status else "connect_error"
        error = type(exc).__name__
    return ProbeResult(endpoint, req.path, status, outcome, None if first is None else first - sent,
                       time.time() - sent, events, pod, error)


def _read(resp: httpx.Response, classify: object) -> tuple[str, float | None, int, str | None]:
    parser, first, events = SSEParser(), None, 0
    for chunk in resp.iter_raw():
        for name, data, _stamp in parser.feed(chunk):
            kind, code, _usage = classify(name, data)  # type: ignore[operator]
            if kind == CONTENT:
                events += 1
                first = first if first is not None else time.time()
            elif kind == ERROR:
                return "stream_error", first, events, code
            elif kind == TERMINATOR:
                return "ok", first, events, None
    return "truncated", first, events, None


def probe_all(base_url: str, api_key: str | None, *, timeout: float = 30.0) -> list[ProbeResult]:
    return [probe(base_url, api_key, ep, timeout=timeout) for ep in ENDPOINTS]
