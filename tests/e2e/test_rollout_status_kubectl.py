"""`rollout_complete` (experiments.afchaos.deployment.probes) side by side with the real `kubectl rollout status`
against the local cluster: started together right after a restart patch, both wait through the same steps and
return within a poll of each other; on a rollout that cannot progress (every node cordoned) both time out
waiting for the same thing. Skipped when kubectl is not installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from localcluster.handle import LocalCluster

pytestmark = [pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
              pytest.mark.timeout(300)]
DEPLOYMENT = "agentflow"


def restart(lc: LocalCluster) -> float:
    """What `kubectl rollout restart` does: a new restartedAt annotation on the pod template."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}}
    httpx.patch(f"{lc.api_url}/apis/apps/v1/namespaces/{lc.namespace}/deployments/{DEPLOYMENT}", json=body,
                headers={"Content-Type": "application/merge-patch+json"}, timeout=10).raise_for_status()
    return time.monotonic()


def cordon_all(lc: LocalCluster, on: bool) -> None:
    for n in httpx.get(f"{lc.api_url}/api/v1/nodes", timeout=10).json()["items"]:
        httpx.patch(f"{lc.api_url}/api/v1/nodes/{n['metadata']['name']}", json={"spec": {"unschedulable": on}},
                    headers={"Content-Type": "application/merge-patch+json"}, timeout=10).raise_for_status()


PROBE = """
import json, sys, time
from chaoslib.exceptions import ActivityFailed
from experiments.afchaos.deployment.probes import rollout_complete
try:
    out = {"result": rollout_complete(sys.argv[1], sys.argv[2], timeout=float(sys.argv[3]), interval=0.2)}
except ActivityFailed as exc:
    out = {"error": str(exc)}
print(json.dumps(out))
"""


def side_by_side(lc: LocalCluster, tmp: Path, timeout: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start kubectl rollout status and rollout_complete (in its own process, as chaos runs it) together;
    (kubectl's result, ours), each with the monotonic time it returned."""
    env = {**os.environ, "KUBECONFIG": lc.kubeconfig, "KUBERNETES_CONTEXT": lc.context}
    env.pop("AFSUITE_RUN_DIR", None)
    kubectl_argv = ["kubectl", "--kubeconfig", lc.kubeconfig, "--context", lc.context, "--cache-dir",
                    str(tmp / "cache"), "-n", lc.namespace, "rollout", "status", f"deployment/{DEPLOYMENT}",
                    f"--timeout={timeout:g}s"]
    ours_argv = [sys.executable, "-c", PROBE, DEPLOYMENT, lc.namespace, str(timeout)]
    results: dict[str, dict[str, Any]] = {}

    def run(name: str, argv: list[str]) -> None:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout + 60)
        results[name] = {"code": proc.returncode, "out": proc.stdout, "err": proc.stderr,
                         "returned": time.monotonic()}

    threads = [threading.Thread(target=run, args=a) for a in (("kubectl", kubectl_argv), ("ours", ours_argv))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 90)
    kubectl, ours = results["kubectl"], results["ours"]
    kubectl["lines"] = kubectl["out"].splitlines()
    assert ours["code"] == 0, ours["err"][-2000:]
    ours.update(json.loads(ours["out"].splitlines()[-1]))
    return kubectl, ours


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """One cluster for both tests (a cluster start is 15-20 s); each test starts from whatever rollout the other
    left, which both tools then wait for alike."""
    state = tmp_path_factory.mktemp("rollout") / "cluster"
    with LocalCluster(state_dir=state, variant="good", time_scale="fast", service_port=0) as lc:
        yield lc


def test_rollout_complete_agrees_with_kubectl_rollout_status(cluster: LocalCluster, tmp_path: Path):
    lc = cluster
    idle_kubectl, idle_ours = side_by_side(lc, tmp_path, 120)  # whatever is rolling out now: both agree it ends
    assert idle_kubectl["code"] == 0 and idle_ours["result"]["done"]

    patched = restart(lc)
    kubectl, ours = side_by_side(lc, tmp_path, 120)
    assert kubectl["code"] == 0, kubectl["lines"]
    assert kubectl["lines"][-1] == f'deployment "{DEPLOYMENT}" successfully rolled out'
    assert "result" in ours, ours
    # neither returned at once: three new pods each need their startup probe (10 s) before they are Ready
    assert kubectl["returned"] - patched > 20 and ours["returned"] - patched > 20
    took = (ours["returned"] - patched, kubectl["returned"] - patched)
    assert abs(took[0] - took[1]) < 3.0, took
    # kubectl prints every watch event; we poll, so we see a subset of the states. Every state we saw in kubectl's
    # words, kubectl saw too (ours may add the stricter ones, and "spec update" when we looked before it did)
    waited = {line for line in kubectl["lines"] if line.startswith("Waiting")}
    ours_in_kubectl_words = {h["message"] for h in ours["result"]["history"]
                             if "rollout to finish" in h["message"]}
    assert ours_in_kubectl_words and ours_in_kubectl_words <= waited, (ours_in_kubectl_words, waited)


def test_both_time_out_on_a_rollout_that_cannot_progress(cluster: LocalCluster, tmp_path: Path):
    lc = cluster
    cordon_all(lc, True)  # the new ReplicaSet's pods cannot be scheduled anywhere
    try:
        restart(lc)
        kubectl, ours = side_by_side(lc, tmp_path, 8)
    finally:
        cordon_all(lc, False)
    assert kubectl["code"] != 0 and "timed out" in kubectl["err"], (kubectl["lines"], kubectl["err"])
    waited = [line for line in kubectl["lines"] if line.startswith("Waiting")]
    assert "error" in ours and "rollout not finished after 8 s" in ours["error"], ours
    assert waited and waited[-1] in ours["error"], (waited, ours["error"])
