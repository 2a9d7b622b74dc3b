"""A small, real alerting scenario for the alert checks: reference-server processes, real Prometheus processes
(one per rules set, all scraping the same pods) evaluating rules whose durations are divided by FACTOR, bounded
client traffic on loopback recorded as streams, and the alert recorder writing each rules set's run directory.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from pathlib import Path

import httpx
import pandas as pd
from prom_helpers import query, wait_for

from analysis.cluster import load_cluster
from harness.alerts_recorder import AlertRecorder
from localcluster.agentflow.process import ReferenceServer
from localcluster.prometheus import CORRECTED_RULES, GUIDE_RULES
from localcluster.prometheus.process import PrometheusProcess
from localcluster.prometheus.rules import load_rule_groups, scale_groups, write_rules

FACTOR = 30.0  # for: 5m -> 10 s, [5m] -> 10 s, for: 1m -> 2 s
SYMPTOM_RULES = ("AgentFlowDown", "HighErrorRate", "HighLatency")
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}


def symptom_groups(path: Path) -> list[dict]:
    """The symptom alerts of a shipped rules file (the cause alerts need the cluster's exporters)."""
    groups = load_rule_groups(path)
    return [{**g, "rules": [r for r in g["rules"] if r.get("alert") in SYMPTOM_RULES]} for g in groups]


RULE_SETS = {"corrected": lambda: symptom_groups(CORRECTED_RULES), "guide": lambda: symptom_groups(GUIDE_RULES)}


def _stream(client: httpx.Client, url: str, pod: str) -> dict:
    scheduled = time.time()
    row = {"stream_id": uuid.uuid4().hex, "pod": pod, "scheduled": scheduled, "sent": scheduled, "headers": None,
           "first_token": None, "end": None, "outcome": "ok", "error": None}
    try:
        with client.stream("POST", f"{url}/api/v1/chat/completions/stream", json=BODY) as resp:
            row["headers"] = time.time()
            body = resp.read().decode(errors="replace")
        if resp.status_code != 200:
            row["outcome"], row["error"] = "http_error", str(resp.status_code)
        elif "event: error" in body or "[DONE]" not in body:
            row["outcome"] = "stream_error" if "event: error" in body else "truncated"
    except httpx.HTTPError as exc:
        row["outcome"], row["error"] = "connect_error", type(exc).__name__
    row["end"] = time.time()
    return row


def traffic(url: str, api_key: str, seconds: float, threads: int = 3) -> pd.DataFrame:
    """Closed-loop streams from `threads` clients for `seconds` (bounded: every loop checks the deadline)."""
    rows: list[dict] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(headers={"X-API-Key": api_key}, timeout=30.0) as client:
            while time.monotonic() < deadline:
                row = _stream(client, url, "ref-0")
                with lock:
                    rows.append(row)
                time.sleep(0.05)  # pacing of a bounded load loop (about 15 streams/s per client)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(seconds + 35)
    return pd.DataFrame(rows)


def run_scenario(tmp: Path, server_args: list[str], rule_sets: dict[str, list[dict]], seconds: float):
    """{name: ClusterData} of each rules set (streams attached) after `seconds` of traffic plus a tail."""
    with contextlib.ExitStack() as stack:
        srv = stack.enter_context(ReferenceServer(api_key="k", pod_name="ref-0", args=[
            "--ip-rate", "0", "--tenant-rate", "0", "--ttft", "const:0.01", "--itl", "const:0.002",
            "--output-tokens", "const:3", *server_args]))
        target = srv.metrics_url.removeprefix("http://")
        recorders = {}
        for name, groups in rule_sets.items():
            directory = tmp / f"prom-{name}"
            rules = write_rules(scale_groups(groups, FACTOR), directory / "rules.yml")
            config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}, "rule_files": [str(rules)],
                      "scrape_configs": [{"job_name": "agentflow", "static_configs": [{"targets": [target], "labels": {
                          "namespace": "agentflow", "pod": "ref-0", "container": "agentflow"}}]}]}
            prom = stack.enter_context(contextlib.closing(_Closing(PrometheusProcess(directory).start(config))))
            # as in a run: Prometheus has scraped the pods before the run starts (the cluster started it earlier)
            wait_for("the first scrape", lambda url=prom.proc.url: query(url, 'up{job="agentflow"} == 1'), 30)
            wait_for("no alert left from before the first scrape", lambda url=prom.proc.url: not httpx.get(
                f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"], 30)
            recorders[name] = AlertRecorder(prom.proc.url, tmp / name, interval=0.5).start()
        streams = traffic(srv.url, "k", seconds)
        time.sleep(3)  # a tail for the last evaluations: the recorder samples through it (bounded, not a sync)
        out = {}
        for name, rec in recorders.items():
            rec.stop()
            cluster = load_cluster(tmp / name, with_streams=False)
            cluster.streams = streams
            out[name] = cluster
        return out, streams


class _Closing:
    def __init__(self, proc: PrometheusProcess) -> None:
        self.proc = proc

    def close(self) -> None:
        self.proc.stop()
