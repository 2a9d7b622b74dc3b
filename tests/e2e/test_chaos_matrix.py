"""Every experiment end to end on the local cluster (`make test-slow`): green on the good workload, red on the
known-bad workload it exists to catch, with the failing probe named in the output. The README's variant table
lists the same pairs; `pod-kill` runs in the default suite (`test_chaos_pod_kill.py`).

A matrix that cannot pass by luck: every pair runs AFSUITE_MATRIX_RUNS times (default 3), each on a fresh
cluster, and every run must prove its fault happened (the report's experiment check found the effect in the
observed data): a run whose fault had no effect fails this test instead of counting as green or red. The README
gives the measured time of the whole matrix at the default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from localcluster.handle import LocalCluster

RUNS = int(os.environ.get("AFSUITE_MATRIX_RUNS", "3"))
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

GOOD = ["pod-kill-grace0", "node-drain", "zone-outage", "zone-outage-hard", "rolling-restart",
        "graceful-shutdown", "hpa-scale"]
HARD = {"pod-kill-grace0", "zone-outage-hard"}

# (experiment, known-bad variant, the probe names of which at least one must be named as failing, the report
# checks of which at least one must FAIL with a pod or node named in its evidence objects)
BAD = [
    ("node-drain", "pdb-all", ["no-drain-stuck"], ["pdb.drains"]),
    ("node-drain", "no-pdb", ["ready-replicas-never-below-floor", "pdb-floor-held"], ["pdb.floor"]),
    ("zone-outage", "no-spread", ["replicas-span-two-zones"], ["placement.zone_skew"]),
    ("rolling-restart", "ready-on-health", ["error-rate-below-limit", "new-connections-served"],
     ["slo.error_rate", "readiness.new_connections", "readiness.before_ready"]),
    ("graceful-shutdown", "no-prestop", ["in-flight-streams-completed", "error-rate-below-limit"],
     ["survival.in_flight"]),
]


def wait_until_serving(lc: LocalCluster, streams: int = 6, timeout: float = 90.0) -> None:
    """The local cluster returns once its pods are Ready, and a known-bad workload (ready-on-health) is Ready
    while still warming up: wait (bounded) until `streams` streams in a row through the service, each on a new
    connection, end with [DONE], so the experiment starts on a steady workload (its steady state would fail)."""
    import httpx

    body = {"model": "m", "max_tokens": 4, "messages": [{"role": "user", "content": "warm?"}]}
    deadline, in_a_row = time.monotonic() + timeout, 0
    while in_a_row < streams:
        assert time.monotonic() < deadline, f"the service did not serve {streams} streams in a row in {timeout:g} s"
        with httpx.Client(timeout=10) as client:
            resp = client.post(f"{lc.service_url}/api/v1/chat/completions/stream", json=body,
                               headers={"X-API-Key": lc.api_key})
        in_a_row = in_a_row + 1 if resp.status_code == 200 and "[DONE]" in resp.text else 0
        if not in_a_row:
            time.sleep(0.5)  # poll interval of a deadline-bounded wait


def run_chaos(lc: LocalCluster, run_dir: Path, name: str) -> subprocess.CompletedProcess[str]:
    wait_until_serving(lc)
    return subprocess.run([sys.executable, "-m", "harness", "chaos", name, "--state-dir", str(lc.state_dir),
                           "--run-dir", str(run_dir)], capture_output=True, text=True, timeout=800)


def _cordoned(lc: LocalCluster) -> list[str]:
    import httpx

    nodes = httpx.get(f"{lc.api_url}/api/v1/nodes", timeout=10).json()["items"]
    return [n["metadata"]["name"] for n in nodes if n["spec"].get("unschedulable")]


def report_checks(run: Path) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads((run / "report" / "summary.json").read_text())["checks"]}


def assert_fault_happened(run: Path, experiment: str, checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The report found the fault's effect in the observed data; returns the experiment's effect record."""
    check = checks[f"experiment.{experiment}"]
    assert check["evidence"]["details"].get("effect") == "proven", \
        f"the fault had no effect (or the run did not cover it): {check['evidence']['sentence']}"
    records = [json.loads(line) for line in (run / "chaos" / "effects.jsonl").read_text().splitlines()]
    return [r for r in records if r.get("record") == "effect"][-1]


@pytest.mark.parametrize("attempt", range(RUNS), ids=lambda i: f"run{i + 1}")
@pytest.mark.parametrize("experiment", GOOD)
def test_experiment_is_green_on_the_good_workload(tmp_path: Path, experiment: str, attempt: int) -> None:
    with LocalCluster(state_dir=tmp_path / "cluster", variant="good", time_scale="fast", service_port=0) as lc:
        result = run_chaos(lc, tmp_path / "run", experiment)
        cordoned = _cordoned(lc)
    out = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, out
    assert f"PASS {experiment}" in result.stdout, out
    assert cordoned == [], f"rollbacks left nodes cordoned: {cordoned}"
    run = tmp_path / "run"
    journal = json.loads((run / "chaos" / f"{experiment}.journal.json").read_text())
    assert journal["status"] == "completed" and not journal["deviated"]
    assert pq.ParquetFile(run / "streams.parquet").metadata.num_rows > 0
    marks = pq.ParquetFile(run / "chaos" / "marks.parquet").metadata.num_rows
    checks = report_checks(run)
    assert_fault_happened(run, experiment, checks)
    if experiment == "hpa-scale":  # no fault action (the load step is the stimulus): no marks, HPA judged
        assert marks == 0
        for name in ("hpa.scale_up_reaction", "hpa.scale_up_ready", "hpa.scale_down_stabilization"):
            assert checks[name]["verdict"] == "pass", checks[name]
    else:
        assert marks >= 1
    if experiment in HARD:  # the streams lost with the killed pods are set aside, nothing else broke
        collateral = [c for n, c in checks.items() if n.startswith("fault.collateral.")]
        assert collateral and all(c["verdict"] == "pass" for c in collateral), collateral


@pytest.mark.parametrize("attempt", range(RUNS), ids=lambda i: f"run{i + 1}")
@pytest.mark.parametrize(("experiment", "variant", "probes", "named_checks"), BAD,
                         ids=[f"{e}-vs-{v}" for e, v, *_ in BAD])
def test_experiment_is_red_on_its_known_bad_workload(tmp_path: Path, experiment: str, variant: str,
                                                     probes: list[str], named_checks: list[str],
                                                     attempt: int) -> None:
    with LocalCluster(state_dir=tmp_path / "cluster", variant=variant, time_scale="fast", service_port=0) as lc:
        result = run_chaos(lc, tmp_path / "run", experiment)
        cordoned = _cordoned(lc)
    out = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 1, out  # FAIL, not INCOMPLETE (3) nor a pass
    assert f"FAIL {experiment}" in result.stdout, out
    assert any(f"'{p}'" in result.stdout for p in probes), out
    assert cordoned == [], f"rollbacks left nodes cordoned: {cordoned}"
    run = tmp_path / "run"
    checks = report_checks(run)
    effect = assert_fault_happened(run, experiment, checks)
    failed = [checks[c] for c in named_checks if c in checks and checks[c]["verdict"] == "fail"]
    assert failed, {c: checks.get(c) for c in named_checks}
    named = " ".join(o for c in failed for o in c["evidence"]["objects"])
    assert "agentflow-" in named or "node-" in named, failed  # the pod or node it happened to
    if variant == "ready-on-health":  # the cold pods are the rollout's replacements, and they are named
        assert any(p in named for p in effect["replacements"]), (effect["replacements"], failed)
