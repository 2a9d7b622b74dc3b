"""End to end on the local cluster: `afsuite chaos pod-kill` with background load and the observer.

Green on the good workload (the fault happened: the report proves the killed pod gone and replaced, observed
with load for the tail after its replacement was Ready); INCOMPLETE, not green, when the fault is made a no-op
(its selector matches nothing); red on the known-bad `single-replica` workload, naming the probe that caught it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from localcluster.handle import LocalCluster

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"


def run_chaos(lc: LocalCluster, run_dir, name: str = "pod-kill") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "chaos", name, "--state-dir", str(lc.state_dir),
                           "--run-dir", str(run_dir)], capture_output=True, text=True, timeout=300)


def report_checks(run_dir: Path) -> dict[str, dict]:
    summary = json.loads((run_dir / "report" / "summary.json").read_text())
    return {c["name"]: c for c in summary["checks"]} | {"overall": {"verdict": summary["overall_verdict"]}}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory):
    """One good cluster for the no-op and the real kill (the no-op changes nothing; the kill runs last)."""
    with LocalCluster(state_dir=tmp_path_factory.mktemp("good") / "cluster", variant="good", time_scale="fast",
                      service_port=0) as lc:
        yield lc


def test_a_pod_kill_that_kills_nothing_is_incomplete(good: LocalCluster, tmp_path: Path):
    experiment = yaml.safe_load((EXPERIMENTS / "pod-kill.yaml").read_text())
    (kill,) = [s for s in experiment["method"] if s["type"] == "action"]
    kill["provider"]["arguments"]["label_selector"] = "app.kubernetes.io/name=nothing-matches-this"
    path = tmp_path / "pod-kill.yaml"
    path.write_text(yaml.safe_dump(experiment, sort_keys=False))
    before = _pod_uids(good)
    result = run_chaos(good, tmp_path / "run", str(path))
    out = result.stdout[-4000:] + result.stderr[-2000:]
    assert _pod_uids(good) == before, "the no-op fault changed the workload"
    assert result.returncode == 3, out  # INCOMPLETE: not a pass, not a fail (analysis/exitcodes.py)
    checks = report_checks(tmp_path / "run")
    assert checks["overall"]["verdict"] == "incomplete"
    check = checks["experiment.pod-kill"]
    assert check["verdict"] == "incomplete" and "the fault had no effect" in check["evidence"]["sentence"], check


def test_pod_kill_is_green_on_the_good_workload(good: LocalCluster, tmp_path: Path):
    before = set(_pod_uids(good))
    result = run_chaos(good, tmp_path / "run")
    after = set(_pod_uids(good))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "PASS pod-kill" in result.stdout
    run = tmp_path / "run"
    journal = json.loads((run / "chaos" / "pod-kill.journal.json").read_text())
    assert journal["status"] == "completed" and not journal["deviated"]
    assert before - after, "the fault had no effect: no pod was replaced"
    assert pq.ParquetFile(run / "streams.parquet").metadata.num_rows > 0  # background load recorded
    assert pq.ParquetFile(run / "chaos" / "marks.parquet").metadata.num_rows >= 1  # the fault window
    pods = pq.read_table(run / "cluster" / "pods.parquet").to_pandas()
    assert pods["terminating"].any(), "the observer never saw the killed pod terminating"
    check = report_checks(run)["experiment.pod-kill"]
    assert check["verdict"] == "pass" and check["evidence"]["details"]["effect"] == "proven", check
    killed = set(pods.loc[pods["uid"].isin(before - after), "pod"])
    assert killed and all(p in check["evidence"]["sentence"] for p in killed), check
    assert good.api_key not in (run / "manifest.json").read_text()


def test_pod_kill_is_red_on_a_single_replica(tmp_path):
    with LocalCluster(state_dir=tmp_path / "cluster", variant="single-replica", time_scale="fast",
                      service_port=0) as lc:
        result = run_chaos(lc, tmp_path / "run")
    assert result.returncode != 0
    assert "FAIL pod-kill" in result.stdout
    # the floor watch sees 0 Ready replicas while the lone pod is replaced (the after-hypothesis runs only once the
    # replacement is Ready, so a point-in-time probe there may pass)
    probes = ("ready-replicas-never-below-floor", "pdb-floor-held", "service-answers")
    assert any(f"'{p}'" in result.stdout for p in probes), result.stdout[-3000:]
    assert report_checks(tmp_path / "run")["experiment.pod-kill"]["evidence"]["details"]["effect"] == "proven"


def _pod_uids(lc: LocalCluster) -> list[str]:
    import httpx

    body = httpx.get(f"{lc.api_url}/api/v1/namespaces/{lc.namespace}/pods", timeout=10).json()
    return sorted(p["metadata"]["uid"] for p in body["items"] if not p["metadata"].get("deletionTimestamp"))


pytestmark = pytest.mark.timeout(600)
