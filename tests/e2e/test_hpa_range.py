"""`afsuite campaign hpa-range` end to end on a fresh fast local cluster with CPU scale 10 (`make test-slow`, about
9 minutes each):
on the good workload the production HPA climbs 3 -> 20 through its scale-up policies and comes back, with the
replay finding no deviation and the report showing the HPA plot; on `hpa-no-behavior` the report names the
scale-down rate; on `stale-metrics` it names the stale window. Run through the real CLI (`python -m harness`),
the way a user runs it, against a cluster started for the test in its own state directory."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from localcluster.handle import LocalCluster
from localcluster.workload.timescale import LAPTOP_CPU_SCALE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def campaign(tmp_path: Path, variant: str) -> tuple[int, Path, str]:
    run_dir = tmp_path / "run"
    with LocalCluster(tmp_path / "lc", variant=variant, time_scale="fast", service_port=0, timeout=180,
                      cpu_scale=LAPTOP_CPU_SCALE) as lc:
        done = subprocess.run([sys.executable, "-m", "harness", "campaign", "hpa-range", "--state-dir",
                               str(lc.state_dir), "--run-dir", str(run_dir)], capture_output=True, text=True,
                              timeout=1000)
    return done.returncode, run_dir, done.stdout + done.stderr


def checks(run_dir: Path) -> dict[str, dict]:
    summary = json.loads((run_dir / "report" / "summary.json").read_text())
    return {c["name"]: c for c in summary["checks"]}


def desired_path(run_dir: Path) -> list[int]:
    hpa = pq.read_table(run_dir / "cluster" / "hpa.parquet").to_pandas().sort_values("time")
    desired = hpa["desired_replicas"].to_numpy()
    desired = desired[desired > 0]
    return [int(d) for d in desired[np.concatenate([[True], desired[1:] != desired[:-1]])]]


def test_the_good_workload_climbs_to_20_through_the_policies_and_comes_back(tmp_path):
    code, run_dir, output = campaign(tmp_path, "good")
    assert code == 0, output[-3000:]
    path = desired_path(run_dir)
    increases = [(a, b) for a, b in itertools.pairwise(path) if b > a]
    assert max(path) >= 18 and len(increases) >= 3, path
    assert increases[0][0] == 3 and increases[0][1] <= 7, path  # the first step is policy-limited
    assert path[-1] <= 4, path
    found = checks(run_dir)
    conformance = found["hpa.conformance"]
    assert conformance["verdict"] == "pass" and conformance["evidence"]["details"]["deviations"] == []
    assert found["hpa.expected_behavior"]["verdict"] == "pass"
    assert found["validity.loadgen_cpu"]["verdict"] == "pass"
    assert (run_dir / "report" / "plots" / "hpa.png").stat().st_size > 10_000
    assert "plots/hpa.png" in (run_dir / "report" / "report.html").read_text()
    assert "| no deviation |" in (run_dir / "report" / "report.md").read_text()


def test_no_behavior_fails_naming_the_scale_down_rate(tmp_path):
    code, run_dir, output = campaign(tmp_path, "hpa-no-behavior")
    assert code != 0, output[-3000:]
    expected = checks(run_dir)["hpa.expected_behavior"]
    assert expected["verdict"] == "fail"
    sentence = expected["evidence"]["sentence"]
    assert "scale-down no rate limit" in sentence and "scale-down rate" in sentence
    assert "is faster than the expected 10 % per 12 s" in sentence, sentence


def test_stale_metrics_fail_naming_the_stale_window(tmp_path):
    code, run_dir, output = campaign(tmp_path, "stale-metrics")
    assert code != 0, output[-3000:]
    found = checks(run_dir)
    reaction = found["hpa.scale_up_reaction"]
    assert reaction["verdict"] == "fail", reaction["evidence"]["sentence"]
    assert "the HPA's metrics were stale in" in reaction["evidence"]["sentence"]
    freshness = found["hpa.metrics_freshness"]
    assert freshness["verdict"] == "fail" and freshness["evidence"]["details"]["stale_windows"]
    ages = [float(a) for a in re.findall(r"metrics up to (\d+) s old", freshness["evidence"]["sentence"])]
    assert ages and max(ages) >= 200, freshness["evidence"]["sentence"]  # the variant serves them 240 s late
