"""Every experiment end to end on the local cluster (`make test-slow`): green on the good workload, red on the
known-bad workload it exists to catch, with the failing probe named in the output. The README's variant table
lists the same pairs; `pod-kill` runs in the default suite (`test_chaos_pod_kill.py`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from localcluster.handle import LocalCluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

GOOD = ["pod-kill-grace0", "node-drain", "zone-outage", "zone-outage-hard", "rolling-restart",
        "graceful-shutdown", "hpa-scale"]

# (experiment, known-bad variant, the probe names of which at least one must be named as failing)
BAD = [
    ("node-drain", "pdb-all", ["no-drain-stuck"]),
    ("node-drain", "no-pdb", ["ready-replicas-never-below-floor", "pdb-floor-held"]),
    ("zone-outage", "no-spread", ["replicas-span-two-zones"]),
    ("rolling-restart", "ready-on-health", ["error-rate-below-limit"]),
    ("graceful-shutdown", "no-prestop", ["in-flight-streams-completed", "error-rate-below-limit"]),
]


def run_chaos(lc: LocalCluster, run_dir: Path, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "chaos", name, "--state-dir", str(lc.state_dir),
                           "--run-dir", str(run_dir)], capture_output=True, text=True, timeout=800)


def _cordoned(lc: LocalCluster) -> list[str]:
    import httpx

    nodes = httpx.get(f"{lc.api_url}/api/v1/nodes", timeout=10).json()["items"]
    return [n["metadata"]["name"] for n in nodes if n["spec"].get("unschedulable")]


@pytest.mark.parametrize("experiment", GOOD)
def test_experiment_is_green_on_the_good_workload(tmp_path: Path, experiment: str) -> None:
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
    assert pq.ParquetFile(run / "chaos" / "marks.parquet").metadata.num_rows >= 1


@pytest.mark.parametrize(("experiment", "variant", "probes"), BAD, ids=[f"{e}-vs-{v}" for e, v, _ in BAD])
def test_experiment_is_red_on_its_known_bad_workload(tmp_path: Path, experiment: str, variant: str,
                                                     probes: list[str]) -> None:
    with LocalCluster(state_dir=tmp_path / "cluster", variant=variant, time_scale="fast", service_port=0) as lc:
        result = run_chaos(lc, tmp_path / "run", experiment)
        cordoned = _cordoned(lc)
    out = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode != 0, out
    assert f"FAIL {experiment}" in result.stdout, out
    assert any(f"'{p}'" in result.stdout for p in probes), out
    assert cordoned == [], f"rollbacks left nodes cordoned: {cordoned}"
    assert (tmp_path / "run" / "chaos" / f"{experiment}.journal.json").exists()
