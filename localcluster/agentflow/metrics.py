"""Prometheus metrics as AgentFlow exports them, plus the reference server's own send-lateness statistics.

AgentFlow: ``agentflow_http_requests_total{method,path,status}`` (status as a class: 2xx, 4xx, 5xx; a stream
that fails mid-way is 2xx) and ``agentflow_http_request_duration_seconds{method,path}`` with Prometheus'
default buckets (top bucket 10 s). Reference-only extras: ``agentflow_inflight_streams`` and
``agentflow_reference_queued_requests`` gauges, and process CPU/RSS.
"""

from __future__ import annotations

import os
import re
import time
from bisect import bisect_left
from collections import deque
from typing import Any

__all__ = ["BUCKETS", "LatenessWindow", "Metrics", "process_cpu_seconds", "process_rss_bytes"]

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATIC_PATHS = frozenset({
    "/health", "/healthz", "/ready", "/readyz", "/version", "/metrics", "/api/v1/chat/completions",
    "/api/v1/chat/completions/stream", "/api/v1/agents/execute/stream", "/v1/chat/completions",
    "/v1/responses", "/v1/messages",
})
_ID_SEGMENT = re.compile(r"^[0-9a-fA-F]{8,}(-[0-9a-fA-F]{4,}){0,4}$|^[0-9]+$")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def normalize_path(path: str) -> str:
    """AgentFlow's path label: static routes as-is, id-like segments replaced by ``:id``."""
    if path in STATIC_PATHS:
        return path
    return "/".join(":id" if seg and _ID_SEGMENT.match(seg) else seg for seg in path.split("/"))


def process_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def process_rss_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except OSError:
        return 0


class LatenessWindow:
    """Send lateness over the recent past, as histograms in ``slices`` one-second slices (a bounded ring).

    ``add`` is O(1) (one bin increment); ``summary`` merges at most ``slices`` x ``NBINS`` counts, so reading
    it never stalls the event loop (sorting tens of thousands of raw samples would, for tens of ms). Bins are
    0.1 ms wide up to 50 ms, then 25 % wider each; a quantile is reported as its bin's upper edge."""

    FINE = 500  # 0.1 ms bins up to 50 ms
    EDGES = tuple(0.05 * 1.25 ** k for k in range(1, 41))  # coarse upper edges, 62.5 ms .. ~375 s
    NBINS = FINE + len(EDGES) + 1

    def __init__(self, slices: int = 30) -> None:
        self.size = slices
        self.done: deque[tuple[list[int], int, float, float]] = deque(maxlen=slices - 1)
        self._fresh()

    def _fresh(self) -> None:
        self.bins = [0] * self.NBINS
        self.n = 0
        self.sum = 0.0
        self.max = 0.0

    def add(self, value: float) -> None:
        if value < 0.05:
            self.bins[int(value * 10000.0) if value > 0.0 else 0] += 1
        else:
            self.bins[self.FINE + bisect_left(self.EDGES, value)] += 1
        self.n += 1
        self.sum += value
        if value > self.max:
            self.max = value

    def rotate(self) -> None:
        """Close the current slice (called once a second); the oldest slice falls out of the window."""
        self.done.append((self.bins, self.n, self.sum, self.max))
        self._fresh()

    def reset(self) -> None:
        self.done.clear()
        self._fresh()

    def _edge(self, idx: int) -> float:
        if idx < self.FINE:
            return (idx + 1) / 10000.0
        return self.EDGES[min(idx - self.FINE, len(self.EDGES) - 1)]

    def summary(self) -> dict[str, Any]:
        parts = [*self.done, (self.bins, self.n, self.sum, self.max)]
        count = sum(p[1] for p in parts)
        if not count:
            return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None, "mean": None}
        merged = [sum(col) for col in zip(*(p[0] for p in parts), strict=True)]
        out: dict[str, Any] = {"count": count, "window_s": len(parts)}
        targets = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)]
        running, t = 0, 0
        for idx, c in enumerate(merged):
            running += c
            while t < len(targets) and running >= targets[t][1] * count:
                out[targets[t][0]] = self._edge(idx)
                t += 1
            if t == len(targets):
                break
        peak = max(p[3] for p in parts)
        for key, _ in targets:  # a quantile's bin edge can exceed the exact maximum
            out[key] = min(out[key], peak)
        out["max"] = peak
        out["mean"] = sum(p[2] for p in parts) / count
        return out


class Metrics:
    """Counters and histograms keyed by label tuples; rendering in Prometheus text format 0.0.4."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = {}
        self.durations: dict[tuple[str, str], list[float]] = {}  # bucket counts..., sum, count
        self.lateness = LatenessWindow()
        self.start_time = time.time()
        self.events_sent = 0

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        label = normalize_path(path)
        key = (method, label, f"{status // 100}xx")
        self.requests[key] = self.requests.get(key, 0) + 1
        hist = self.durations.get((method, label))
        if hist is None:
            hist = self.durations[(method, label)] = [0.0] * (len(BUCKETS) + 2)
        idx = bisect_left(BUCKETS, seconds)
        if idx < len(BUCKETS):
            hist[idx] += 1
        hist[-2] += seconds
        hist[-1] += 1

    def render(self, gauges: dict[str, tuple[str, float]]) -> bytes:
        out = ["# HELP agentflow_http_requests_total Total number of HTTP requests.",
               "# TYPE agentflow_http_requests_total counter"]
        for (method, path, status), count in sorted(self.requests.items()):
            out.append(f'agentflow_http_requests_total{{method="{method}",path="{_esc(path)}",'
                       f'status="{status}"}} {count}')
        out += ["# HELP agentflow_http_request_duration_seconds HTTP request duration in seconds.",
                "# TYPE agentflow_http_request_duration_seconds histogram"]
        for (method, path), hist in sorted(self.durations.items()):
            labels = f'method="{method}",path="{_esc(path)}"'
            running = 0.0
            for bound, in_bucket in zip(BUCKETS, hist, strict=False):
                running += in_bucket
                out.append(f'agentflow_http_request_duration_seconds_bucket{{{labels},le="{_num(bound)}"}} '
                           f"{int(running)}")
            out.append(f'agentflow_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {int(hist[-1])}')
            out.append(f"agentflow_http_request_duration_seconds_sum{{{labels}}} {hist[-2]!r}")
            out.append(f"agentflow_http_request_duration_seconds_count{{{labels}}} {int(hist[-1])}")
        for name, (help_text, value) in gauges.items():
            kind = "counter" if name.endswith("_total") else "gauge"
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {_num(value)}"]
        return ("\n".join(out) + "\n").encode()

    def process_gauges(self) -> dict[str, tuple[str, float]]:
        return {
            "process_cpu_seconds_total": ("Total user and system CPU time spent in seconds.",
                                          process_cpu_seconds()),
            "process_resident_memory_bytes": ("Resident memory size in bytes.", float(process_rss_bytes())),
            "process_start_time_seconds": ("Start time of the process since unix epoch in seconds.",
                                           self.start_time),
        }


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
