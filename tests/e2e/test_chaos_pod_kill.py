"""End to end on the local cluster: `afsuite chaos pod-kill` with background load and the observer.

Green on the good workload (the fault happened: a pod was replaced; streams were recorded; the report passes);
red on the known-bad `single-replica` workload, naming the probe that caught it."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from localcluster.handle import LocalCluster


def run_chaos(lc: LocalCluster, run_dir, name: str = "pod-kill") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "chaos", name, "--state-dir", str(lc.state_dir),
                           "--run-dir", str(run_dir)], capture_output=True, text=True, timeout=300)


def test_pod_kill_is_green_on_the_good_workload(tmp_path):
    with LocalCluster(state_dir=tmp_path / "cluster", variant="good", time_scale="fast", service_port=0) as lc:
        before = {p for p in _pod_uids(lc)}
        result = run_chaos(lc, tmp_path / "run")
        after = {p for p in _pod_uids(lc)}
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
    assert lc.api_key not in (run / "manifest.json").read_text()


def test_pod_kill_is_red_on_a_single_replica(tmp_path):
    with LocalCluster(state_dir=tmp_path / "cluster", variant="single-replica", time_scale="fast",
                      service_port=0) as lc:
        result = run_chaos(lc, tmp_path / "run")
    assert result.returncode != 0
    assert "FAIL pod-kill" in result.stdout
    assert "pdb-floor-held" in result.stdout or "service-answers" in result.stdout, result.stdout[-3000:]


def _pod_uids(lc: LocalCluster) -> list[str]:
    import httpx

    body = httpx.get(f"{lc.api_url}/api/v1/namespaces/{lc.namespace}/pods", timeout=10).json()
    return [p["metadata"]["uid"] for p in body["items"] if not p["metadata"].get("deletionTimestamp")]


pytestmark = pytest.mark.timeout(600)
