"""`afsuite campaign alerting` end to end on a fresh fast local cluster with its Prometheus (`make test-slow`,
about 13 minutes each), through the real CLI: with the corrected rules (`good`) the campaign exits 0,
cluster/alerts.parquet shows the error-rate, latency and down alerts firing in their experiments' windows and
every alerts.* check passes; the deliberate breaches are declared by their experiments (chaos/marks.parquet
`intended`) and the checks that would otherwise fail on them say what they set aside (docs/alerts.md). With the
guide's rules (`guide-alerts`) it exits non-zero, alerts.rule_health names the two metrics that do not exist and
alerts.fired_when_due names the breaches nobody was paged for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from prom_helpers import need_binary

from localcluster.handle import LocalCluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]
PHASES = {"HighErrorRate": "alert-errors", "HighLatency": "alert-latency", "AgentFlowDown": "alert-down"}


def campaign(tmp_path: Path, variant: str) -> tuple[int, Path, str]:
    need_binary("prometheus")
    run_dir = tmp_path / "run"
    with LocalCluster(tmp_path / "lc", variant=variant, time_scale="fast", service_port=0, timeout=180,
                      prometheus=True) as lc:
        done = subprocess.run([sys.executable, "-m", "harness", "campaign", "alerting", "--state-dir",
                               str(lc.state_dir), "--run-dir", str(run_dir)], capture_output=True, text=True,
                              timeout=1300)
    return done.returncode, run_dir, done.stdout + done.stderr


def checks(run_dir: Path) -> dict[str, dict]:
    summary = json.loads((run_dir / "report" / "summary.json").read_text())
    return {c["name"]: c for c in summary["checks"]}


def windows(run_dir: Path) -> dict[str, tuple[float, float]]:
    marks = pd.read_parquet(run_dir / "chaos" / "marks.parquet")
    return {exp: (rows["start"].min(), rows["end"].max()) for exp, rows in marks.groupby("experiment")}


def test_corrected_rules_page_in_every_phase(tmp_path):
    code, run_dir, output = campaign(tmp_path, "good")
    found = checks(run_dir)
    failed = {n: c["evidence"]["sentence"] for n, c in found.items() if c["verdict"] not in ("pass", "skipped")}
    assert code == 0, (failed, output[-3000:])
    aside = found["readiness.connect_errors"]["evidence"]["sentence"]
    assert "in the declared outage of Every pod down pages (AgentFlowDown)" in aside, aside
    for name in ("alerts.fired_when_due", "alerts.no_false_alarm", "alerts.rule_health"):
        assert found[name]["verdict"] == "pass", found[name]["evidence"]["sentence"]
    alerts = pd.read_parquet(run_dir / "cluster" / "alerts.parquet")
    firing = alerts[alerts["state"] == "firing"]
    titles = {json.loads((run_dir / "chaos" / f"{e}.journal.json").read_text())["experiment"]["title"]: e
              for e in PHASES.values()}
    spans = {titles.get(k, k): v for k, v in windows(run_dir).items()}
    for alert, experiment in PHASES.items():
        start, end = spans[experiment]
        times = firing.loc[firing["alert"] == alert, "time"]
        assert ((times >= start) & (times <= end + 90)).any(), (alert, experiment, start, end, times.describe())


def test_guide_rules_never_page_and_say_why(tmp_path):
    code, run_dir, output = campaign(tmp_path, "guide-alerts")
    assert code != 0, output[-3000:]
    found = checks(run_dir)
    health = found["alerts.rule_health"]["evidence"]["sentence"]
    assert "agentflow_requests_total" in health and "agentflow_request_duration_seconds_bucket" in health
    fired = found["alerts.fired_when_due"]
    assert fired["verdict"] == "fail" and "nobody was paged" in fired["evidence"]["sentence"]
