"""Prometheus metrics (names, labels, status classes, buckets) and the /debug/stats JSON."""

from __future__ import annotations

import re
import threading

import httpx
from agentflow_helpers import AUTH, CHAT, FAST, metric_value, parse_sse, wait_until

STREAM = "/api/v1/chat/completions/stream"
BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]


def test_request_metrics_names_labels_and_classes(make_server):
    srv = make_server(args=[*FAST, "--stream-error-rate", "1"])
    with httpx.Client(timeout=10) as client:
        failed = client.post(srv.url + STREAM, json=CHAT, headers=AUTH)
        assert parse_sse(failed.text).names()[-1] == "error"  # a mid-stream failure ...
        assert client.post(srv.url + STREAM, json=CHAT).status_code == 401
        assert client.get(srv.url + "/nope", headers=AUTH).status_code == 404
        assert client.get(srv.url + "/readyz").status_code == 200
        text = client.get(srv.metrics_url + "/metrics").text
        assert client.get(srv.url + "/metrics", headers=AUTH).status_code == 404  # not on the API port
    total = "agentflow_http_requests_total"
    assert metric_value(text, total, method="POST", path=STREAM, status="2xx") == 1  # ... counts as 2xx
    assert metric_value(text, total, method="POST", path=STREAM, status="4xx") == 1
    assert metric_value(text, total, method="GET", path="/nope", status="4xx") == 1
    assert metric_value(text, total, method="GET", path="/readyz", status="2xx") == 1
    statuses = set(re.findall(r'agentflow_http_requests_total\{[^}]*status="([^"]+)"', text))
    assert statuses <= {"2xx", "4xx", "5xx"}
    hist = "agentflow_http_request_duration_seconds"
    les = re.findall(rf'{hist}_bucket\{{method="POST",path="{re.escape(STREAM)}",le="([^"]+)"\}}', text)
    assert les == BUCKETS
    assert metric_value(text, hist + "_count", method="POST", path=STREAM) == 2
    assert f'{hist}_bucket{{method="POST",path="{STREAM}",le="+Inf"}} 2' in text
    assert "# TYPE agentflow_http_request_duration_seconds histogram" in text
    for name in ("agentflow_inflight_streams", "process_cpu_seconds_total", "process_resident_memory_bytes"):
        assert metric_value(text, name) is not None, name
    assert metric_value(text, "process_resident_memory_bytes") > 5e6
    assert "agentflow_requests_total" not in text  # the names in AgentFlow's docs do not exist


def test_inflight_gauge_and_debug_stats(make_server):
    srv = make_server(args=["--ttft", "const:0.05", "--itl", "const:0.05", "--output-tokens", "const:30",
                            "--ip-rate", "0", "--tenant-rate", "0", "--drain-idle", "0.1", "--debug-stamps"])
    done: list[str] = []

    def run() -> None:
        done.append(httpx.post(srv.url + STREAM, json=CHAT, headers=AUTH, timeout=10).text)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    with httpx.Client(timeout=10) as client:
        def gauge() -> float | None:
            return metric_value(client.get(srv.metrics_url + "/metrics").text, "agentflow_inflight_streams")

        wait_until(lambda: gauge() == 3, timeout=3, what="3 streams in flight")
        for t in threads:
            t.join(10)
        assert gauge() == 0
        stats = client.get(srv.metrics_url + "/debug/stats").json()
    assert stats["inflight_streams"] == 0 and stats["queued_requests"] == 0 and stats["pod"] == "ref-0"
    late = stats["send_lateness_s"]
    assert late["count"] == 3 * 30 and 0 <= late["p50"] <= late["p99"] <= late["max"] < 1.0
    assert stats["process_cpu_seconds"] > 0 and stats["rss_bytes"] > 0
    sse = parse_sse(done[0])
    assert len(sse.comments) == len(sse.events) == 32  # every event preceded by a ': ts=' stamp
    assert all(re.fullmatch(r"ts=\d+\.\d{6}", c) for c in sse.comments)
