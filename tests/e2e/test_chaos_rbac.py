"""The experiments under the README's minimal permissions: `afsuite chaos` with a target whose context is the
local cluster's restricted `agentflow-local-chaos` identity (the suite's two ClusterRoles, nothing else).
pod-kill and node-drain pass with it, and each fails clearly (upstream's 403 naming the verb and resource in
the output) once the one permission it needs is taken away."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from localcluster.handle import LocalCluster

pytestmark = pytest.mark.timeout(900)


def _target(lc: LocalCluster, tmp: Path) -> Path:
    path = tmp / "chaos-target.yaml"
    path.write_text(yaml.safe_dump({
        "name": "local-chaos", "kubeconfig": lc.kubeconfig, "context": "agentflow-local-chaos",
        "namespace": lc.namespace, "selector": "app.kubernetes.io/name=agentflow", "deployment": "agentflow",
        "service_url": lc.service_url, "api_key_file": str(Path(lc.state_dir) / "api-key"),
        "time_factor": 5}))  # the fast time scale of this local cluster: its HPA's windows are divided by 5
    return path


def _chaos(target: Path, name: str, run_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "chaos", name, "--target", str(target),
                           "--run-dir", str(run_dir)], capture_output=True, text=True, timeout=400)


def _without(lc: LocalCluster, role: str, resource: str, verb: str) -> dict:
    """Take `verb` on `resource` out of ClusterRole `role`; returns the original to put back."""
    kubectl = ["kubectl", "--kubeconfig", lc.kubeconfig]
    original = json.loads(subprocess.run([*kubectl, "get", "clusterrole", role, "-o", "json"], capture_output=True,
                                         text=True, check=True).stdout)
    changed = json.loads(json.dumps(original))
    for rule in changed["rules"]:
        if rule["resources"] == [resource]:
            rule["verbs"] = [v for v in rule["verbs"] if v != verb]
    changed["rules"] = [r for r in changed["rules"] if r["verbs"]]  # a rule needs a verb
    subprocess.run([*kubectl, "replace", "-f", "-"], input=json.dumps(changed), text=True, capture_output=True,
                   check=True)
    return original


def _restore(lc: LocalCluster, original: dict) -> None:
    original["metadata"].pop("resourceVersion", None)
    subprocess.run(["kubectl", "--kubeconfig", lc.kubeconfig, "replace", "-f", "-"], input=json.dumps(original),
                   text=True, capture_output=True, check=True)


def _check(lc: LocalCluster, tmp: Path, experiment: str, role: str, resource: str, verb: str,
           refusal: str) -> None:
    target = _target(lc, tmp)
    ok = _chaos(target, experiment, tmp / "run-ok")
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-2000:]
    assert f"PASS {experiment}" in ok.stdout
    original = _without(lc, role, resource, verb)
    try:
        denied = _chaos(target, experiment, tmp / "run-denied")
    finally:
        _restore(lc, original)
    out = denied.stdout + denied.stderr
    assert denied.returncode != 0, out[-3000:]
    assert refusal in out, out[-3000:]


def test_pod_kill_passes_with_the_minimal_permissions_and_fails_clearly_without_delete_pods(tmp_path):
    with LocalCluster(state_dir=tmp_path / "cluster", time_scale="fast", service_port=0) as lc:
        _check(lc, tmp_path, "pod-kill", "agentflow-suite", "pods", "delete",
               'User \\"chaos\\" cannot delete resource \\"pods\\" in API group \\"\\" in the namespace')


@pytest.mark.slow
def test_node_drain_passes_with_the_minimal_permissions_and_fails_clearly_without_evictions(tmp_path):
    with LocalCluster(state_dir=tmp_path / "cluster", time_scale="fast", service_port=0) as lc:
        _check(lc, tmp_path, "node-drain", "agentflow-suite-nodes", "pods/eviction", "create",
               'User \\"chaos\\" cannot create resource \\"pods/eviction\\"')
