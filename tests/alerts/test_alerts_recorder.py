"""The alert recorder against a real Prometheus (no cluster: a bare prometheus process on loopback evaluating a
small rules file every second): firing alerts, pending ones, rule health and series that never exist land in
cluster/alerts.parquet and cluster/alert_rules.parquet."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from prom_helpers import need_binary, wait_for

from harness.alerts_recorder import AlertRecorder, recorder_for
from harness.target import Target
from localcluster.prometheus.process import PrometheusProcess
from localcluster.prometheus.rules import write_rules

RULES = [{"name": "g", "rules": [
    {"alert": "Always", "expr": "vector(1) > 0", "labels": {"severity": "page"}},
    {"alert": "Slow", "expr": "vector(2) > 1", "for": "1h"},
    {"alert": "NoSuchSeries", "expr": "sum(rate(agentflow_requests_total[5m])) > 0", "for": "1m"},
]}]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    need_binary("prometheus")
    directory = tmp_path_factory.mktemp("prom")
    rules = write_rules(RULES, directory / "rules.yml")
    config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}, "rule_files": [str(rules)],
              "scrape_configs": []}
    proc = PrometheusProcess(directory).start(config)
    try:
        yield proc
    finally:
        proc.stop()


def test_states_health_and_missing_series_recorded(prometheus, tmp_path):
    rec = AlertRecorder(prometheus.url, tmp_path, interval=0.5).start()
    wait_for("a sample with Always firing and Slow pending", lambda: rec.errors == 0 and (
        tmp_path / "cluster" / "alerts").exists() and any((tmp_path / "cluster" / "alerts").glob("part-*")),
        timeout=30)
    counts = rec.stop()
    assert counts["alerts"] > 0 and counts["alert_rules"] > 0
    alerts = pd.read_parquet(tmp_path / "cluster" / "alerts.parquet")
    states = alerts.groupby("alert")["state"].agg(set).to_dict()
    assert states["Always"] == {"firing"} and states["Slow"] == {"pending"}
    assert "NoSuchSeries" not in states
    row = alerts[alerts.alert == "Always"].iloc[-1]
    assert json.loads(row["labels"])["severity"] == "page" and row["value"] == 1.0 and row["active_at"] > 0
    rules = pd.read_parquet(tmp_path / "cluster" / "alert_rules.parquet").groupby("rule").last()
    assert json.loads(rules.loc["NoSuchSeries", "missing"]) == ["agentflow_requests_total"]
    assert json.loads(rules.loc["Always", "missing"]) == []
    assert rules.loc["NoSuchSeries", "range_s"] == 300 and rules.loc["NoSuchSeries", "for_s"] == 60
    assert set(rules["health"]) == {"ok"}


def test_recorder_only_for_a_target_with_prometheus(tmp_path, monkeypatch):
    base = dict(name="t", kubeconfig=None, context=None, namespace="n")
    assert recorder_for(Target(**base), tmp_path) is None
    monkeypatch.setenv("PROM_TOKEN", "s3cret")
    rec = recorder_for(Target(**base, prometheus_url="http://127.0.0.1:1", prometheus_token_env="PROM_TOKEN"),
                       tmp_path)
    assert rec is not None and rec._http.headers["Authorization"] == "Bearer s3cret"
    rec._http.close()
