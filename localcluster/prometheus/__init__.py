"""A real Prometheus (Debian's package) for the local cluster: it scrapes every AgentFlow pod and the
cluster's cAdvisor / kube-state-metrics endpoint, and evaluates the alerting rules users deploy.

    prom = ClusterPrometheus(state_dir / "prometheus", rules_file=..., time_factor=5.0, cpu_scale=10.0)
    prom.start(workers=kubelet.workers, list_objects=..., service=service_doc)
    prom.url          # http://127.0.0.1:PORT (also `prometheus_url` in cluster.json)
    prom.stop()       # prometheus by PID, then the exporter and the target writer

Everything it writes (prometheus.yml, rules.yml, targets.json, the TSDB in data/, prometheus.log) lives in
STATE_DIR/prometheus/. See docs/alerts.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localcluster.exporters import ExporterServer
from localcluster.kubelet.config import REPO_ROOT
from localcluster.prometheus.config import interval_seconds, render_config
from localcluster.prometheus.process import INSTALL_HINT, PrometheusError, PrometheusProcess
from localcluster.prometheus.rules import load_rule_groups, scale_groups, write_rules
from localcluster.prometheus.targets import TargetWriter

__all__ = ["CORRECTED_RULES", "GUIDE_RULES", "INSTALL_HINT", "ClusterPrometheus", "PrometheusError",
           "rules_for_variant", "start_for_cluster"]

log = logging.getLogger("localcluster.prometheus")
RULES_DIR = Path(REPO_ROOT) / "deploy" / "alerts"
GUIDE_RULES = RULES_DIR / "guide.prometheusrule.yaml"
CORRECTED_RULES = RULES_DIR / "corrected.prometheusrule.yaml"


def rules_for_variant(variant: str) -> Path:
    """The rules a workload variant loads: the guide's verbatim for `guide-alerts`, else the corrected set."""
    return GUIDE_RULES if variant == "guide-alerts" else CORRECTED_RULES


class ClusterPrometheus:
    def __init__(self, directory: Path, *, rules_file: Path, time_factor: float, cpu_scale: float) -> None:
        self.dir = Path(directory)
        self.rules_source = Path(rules_file)
        self.time_factor = time_factor
        self.cpu_scale = cpu_scale
        self.process = PrometheusProcess(self.dir)
        self._exporter: ExporterServer | None = None
        self._targets: TargetWriter | None = None

    @property
    def url(self) -> str:
        return self.process.url

    def start(self, *, workers: Callable[[], list[Any]], list_objects: Callable[[str], list[dict[str, Any]]],
              service: dict[str, Any]) -> ClusterPrometheus:
        self.dir.mkdir(parents=True, exist_ok=True)
        rules = write_rules(scale_groups(load_rule_groups(self.rules_source), self.time_factor),
                            self.dir / "rules.yml")
        self._exporter = ExporterServer(workers, list_objects, self.cpu_scale).start()
        self._targets = TargetWriter(self.dir / "targets.json", workers, service).start()
        config = render_config(targets_file=self._targets.path, exporter=self._exporter.address,
                               rules_file=rules, time_factor=self.time_factor)
        try:
            self.process.start(config)
        except Exception:
            self.stop()
            raise
        return self

    def state(self) -> dict[str, Any]:
        """What `cluster.json` says about it (the scaling stated next to the values it produced)."""
        return {"url": self.url, "pid": self.process.proc.pid if self.process.proc else None,
                "rules_source": str(self.rules_source), "rules_file": str(self.dir / "rules.yml"),
                "interval_seconds": interval_seconds(self.time_factor), "time_factor": self.time_factor,
                "scaling": f"scrape/evaluation interval 15 s / {self.time_factor:g}; the rules' for:, "
                           f"range selectors and offsets / {self.time_factor:g}",
                "exporter": self._exporter.address if self._exporter else None}

    def stop(self) -> None:
        self.process.stop()
        if self._targets is not None:
            self._targets.stop()
        if self._exporter is not None:
            self._exporter.stop()


def start_for_cluster(config: Any, kubelet: Any, store: Any, service: dict[str, Any] | None) -> ClusterPrometheus:
    """The cluster's Prometheus for `config` (a ClusterConfig): rules from --alert-rules or the variant's set,
    in STATE_DIR/prometheus/. Raises PrometheusError (with the install hint) when it cannot start."""
    if service is None:
        raise PrometheusError("the workload manifests have no Service: nothing to scrape (use --no-prometheus)")
    rules = config.alert_rules or rules_for_variant(config.variant)
    prom = ClusterPrometheus(config.state_dir / "prometheus", rules_file=rules, time_factor=config.time_factor,
                             cpu_scale=config.cpu_scale)
    return prom.start(workers=kubelet.workers, list_objects=store.list, service=service)
