"""`afsuite sweep --state-dir` on a running local cluster (slow: one cluster, short sweeps): the HPA is held during
the sweep and put back after, each change recorded in the run's `chaos/changes.jsonl`; on a cluster that is not
known to be the local one (a node without the local instance-type label) the sweep is REFUSED (exit 4) before it
changes anything or sends a stream, unless `--hold-hpa` allows it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from localcluster.handle import LocalCluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

HPA = "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/agentflow"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(tmp_path_factory.mktemp("lc"), time_scale="fast", cpu_scale=10, timeout=120) as lc:
        yield lc


def api(lc: LocalCluster):
    from kubernetes import client, config

    cfg = client.Configuration()
    config.load_kube_config(config_file=lc.kubeconfig, context=lc.context, client_configuration=cfg)
    return client.ApiClient(configuration=cfg)


def call(lc: LocalCluster, method: str, path: str, body: dict | None = None) -> dict:
    with api(lc) as c:
        resp = c.call_api(path, method, header_params={"Accept": "application/json", "Content-Type":
                                                       "application/merge-patch+json"}, body=body,
                          auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True)
        return json.loads(resp.data)


def bounds(lc: LocalCluster) -> tuple[int, int]:
    spec = call(lc, "GET", HPA.format(ns=lc.namespace))["spec"]
    return spec["minReplicas"], spec["maxReplicas"]


def sweep(lc: LocalCluster, run_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", "sweep", "--state-dir", str(lc.state_dir), "--levels",
                           "1", "--step-seconds", "4", "--run-dir", str(run_dir), *extra],
                          capture_output=True, text=True, timeout=300)


def test_the_hpa_is_held_during_the_sweep_and_put_back_after(cluster, tmp_path):
    assert bounds(cluster) == (3, 20)
    proc = sweep(cluster, tmp_path / "run")
    out = proc.stdout + proc.stderr
    assert "HPA agentflow held at 2 replicas" in out and "put back to min 3 max 20" in out, out
    assert bounds(cluster) == (3, 20)
    changes = [json.loads(x) for x in (tmp_path / "run" / "chaos" / "changes.jsonl").read_text().splitlines()]
    hpa_patches = [c for c in changes if c["object"]["kind"] == "horizontalpodautoscalers"]
    assert [c["function"] for c in hpa_patches] == ["sweep_hold", "sweep_restore"], changes
    assert json.loads((tmp_path / "run" / "sweep.json").read_text())["levels"][0]["concurrency"] == 2


def test_a_cluster_not_known_to_be_local_is_refused_unless_hold_hpa_allows_it(cluster, tmp_path):
    node = call(cluster, "GET", "/api/v1/nodes")["items"][0]["metadata"]["name"]
    label = {"metadata": {"labels": {"node.kubernetes.io/instance-type": "n2-standard-4"}}}
    call(cluster, "PATCH", f"/api/v1/nodes/{node}", label)
    try:
        proc = sweep(cluster, tmp_path / "refused")
        assert proc.returncode == 4, proc.stdout + proc.stderr
        assert "--hold-hpa" in proc.stderr and "Traceback" not in proc.stderr
        assert bounds(cluster) == (3, 20)
        assert not (tmp_path / "refused" / "level-1.jsonl").exists()  # no stream sent
        allowed = sweep(cluster, tmp_path / "allowed", "--hold-hpa")
        assert "HPA agentflow held at 2 replicas" in allowed.stdout, allowed.stdout + allowed.stderr
        assert (tmp_path / "allowed" / "level-1.jsonl").exists() and bounds(cluster) == (3, 20)
    finally:
        call(cluster, "PATCH", f"/api/v1/nodes/{node}", {"metadata": {"labels": {
            "node.kubernetes.io/instance-type": "localcluster"}}})


def test_a_killed_sweep_leaves_the_hpa_held_and_recover_puts_it_back(cluster, tmp_path):
    import os
    import signal
    import time

    run_dir = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "sweep", "--state-dir", str(cluster.state_dir),
                             "--levels", "1,2,4", "--step-seconds", "20", "--run-dir", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, seen = time.monotonic() + 180, []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            seen.append(line)
            if "held at 2 replicas" in line or not line:
                break
        assert "held at 2 replicas" in seen[-1], "".join(seen)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    hpa = call(cluster, "GET", HPA.format(ns=cluster.namespace))
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 2)
    assert "afsuite.agentflow.dev/sweep-held" in hpa["metadata"]["annotations"]
    rec = subprocess.run([sys.executable, "-m", "harness", "recover", "--state-dir", str(cluster.state_dir),
                          "--run-dir", str(run_dir)], capture_output=True, text=True, timeout=180)
    assert rec.returncode == 0, rec.stdout + rec.stderr
    assert "put back 1 HPA(s) a killed sweep held: agentflow" in rec.stdout, rec.stdout
    hpa = call(cluster, "GET", HPA.format(ns=cluster.namespace))
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 20)
    assert "afsuite.agentflow.dev/sweep-held" not in (hpa["metadata"].get("annotations") or {})
