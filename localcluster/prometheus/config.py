"""The local cluster's Prometheus configuration: scrape jobs named and labelled as a real cluster's, and the
time scale applied to every interval.

Jobs (the labels are what the prometheus-operator would give, so the guide's rules match unchanged):
- `agentflow`: every pod behind the workload's Service, on its `metrics` port, found through a file_sd target
  file the cluster rewrites as pods come and go; labels job="agentflow" (the ServiceMonitor's jobLabel: the
  Service name), namespace, pod, container, service and endpoint="metrics". A pod stays a target while it
  exists and is not terminating (Endpoints keep unready addresses), so a crashed or frozen pod scrapes as
  up == 0 and a deleted one disappears, as with the operator.
- `kubelet` (path /metrics/cadvisor) and `kube-state-metrics`: the cluster's exporter endpoint
  (localcluster/exporters.py), honor_labels as kube-prometheus sets them.

Time scale: the scrape and evaluation intervals are BASE_INTERVAL_S (15 s, kube-prometheus' default) divided
by the cluster's time factor (`fast` = 5: 3 s); the rules' own durations are divided the same way (rules.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localcluster.prometheus.rules import format_duration

__all__ = ["BASE_INTERVAL_S", "interval_seconds", "render_config"]

BASE_INTERVAL_S = 15.0


def interval_seconds(time_factor: float) -> float:
    """The scrape and evaluation interval under `time_factor` (15 s real, 3 s fast)."""
    return BASE_INTERVAL_S / time_factor


def render_config(*, targets_file: Path, exporter: str, rules_file: Path, time_factor: float) -> dict[str, Any]:
    """prometheus.yml as a dict. `exporter` is host:port of the cluster's cAdvisor/kube-state-metrics endpoint."""
    interval = format_duration(interval_seconds(time_factor))
    timeout = format_duration(min(interval_seconds(time_factor), 10.0))
    return {
        "global": {"scrape_interval": interval, "scrape_timeout": timeout, "evaluation_interval": interval,
                   "external_labels": {"cluster": "agentflow-local"}},
        "rule_files": [str(rules_file)],
        "scrape_configs": [
            {"job_name": "agentflow", "metrics_path": "/metrics",
             "file_sd_configs": [{"files": [str(targets_file)], "refresh_interval": interval}]},
            {"job_name": "kubelet", "metrics_path": "/metrics/cadvisor", "honor_labels": True,
             "static_configs": [{"targets": [exporter], "labels": {"metrics_path": "/metrics/cadvisor"}}]},
            {"job_name": "kube-state-metrics", "metrics_path": "/metrics/kube-state-metrics", "honor_labels": True,
             "static_configs": [{"targets": [exporter]}]},
        ],
    }
