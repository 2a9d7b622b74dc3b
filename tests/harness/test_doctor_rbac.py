"""The doctor's permission list is the suite's ClusterRoles (localcluster/workload/identities.yaml) and the
README's RBAC list; against the live local cluster the restricted `chaos` identity holds all of them, and
without one the doctor names exactly that one (and the server answers 403 with upstream's message)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from harness.doctor import doctor_command
from harness.doctor_rbac import PERMISSIONS
from localcluster.handle import LocalCluster

ROOT = Path(__file__).resolve().parents[2]
IDENTITIES = ROOT / "localcluster" / "workload" / "identities.yaml"


SCOPES = {"agentflow-suite": "namespace", "agentflow-suite-nodes": "cluster"}


def _granted_by_manifest() -> set[tuple[str, str, str, str]]:
    out = set()
    for doc in yaml.safe_load_all(IDENTITIES.read_text()):
        if doc["kind"] == "ClusterRole" and doc["metadata"]["name"] in SCOPES:
            scope = SCOPES[doc["metadata"]["name"]]
            for rule in doc["rules"]:
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        out.update((scope, verb, group, resource) for verb in rule["verbs"])
    return out


def _checked_by_doctor() -> set[tuple[str, str, str, str]]:
    return {(scope, verb, group, f"{res}/{sub}" if sub else res)
            for scope, verbs, group, res, sub, _, _ in PERMISSIONS for verb in verbs}


def test_doctor_checks_exactly_the_suite_roles_and_the_readme_list():
    assert _checked_by_doctor() == _granted_by_manifest()
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("   - RBAC:"):readme.index("afsuite doctor` checks each")]
    for _, _, _, resource in _granted_by_manifest():
        assert f"`{resource}`" in section, f"README's RBAC list does not mention {resource}"


def _doctor(lc: LocalCluster, tmp: Path, context: str) -> dict[str, list[dict]]:
    target = tmp / "target.yaml"
    target.write_text(yaml.safe_dump({"name": "rbac", "kubeconfig": lc.kubeconfig, "context": context,
                                      "namespace": lc.namespace, "service_url": lc.service_url,
                                      "api_key_env": "AFSUITE_TEST_RBAC_KEY"}))
    app = typer.Typer()
    app.command()(doctor_command)
    result = CliRunner().invoke(app, ["--target", str(target), "--json"], env={"AFSUITE_TEST_RBAC_KEY": lc.api_key})
    found: dict[str, list[dict]] = {}
    for f in json.loads(result.output)["findings"]:
        found.setdefault(f["check"], []).append(f)
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(tmp_path_factory.mktemp("lc"), time_scale="fast", timeout=90) as lc:
        yield lc


def test_restricted_identity_has_exactly_the_listed_permissions_and_doctor_names_a_missing_one(cluster, tmp_path):
    found = _doctor(cluster, tmp_path, "agentflow-local-chaos")
    assert found["rbac.allowed"][0]["severity"] == "ok" and "rbac.denied" not in found, found.get("rbac.denied")
    kubectl = ["kubectl", "--kubeconfig", cluster.kubeconfig]
    role = json.loads(subprocess.run([*kubectl, "get", "clusterrole", "agentflow-suite", "-o", "json"],
                                     capture_output=True, text=True, check=True).stdout)
    pods_rule = next(r for r in role["rules"] if r["resources"] == ["pods"])
    pods_rule["verbs"] = [v for v in pods_rule["verbs"] if v != "delete"]
    subprocess.run([*kubectl, "replace", "-f", "-"], input=json.dumps(role), capture_output=True, text=True,
                   check=True)
    try:
        found = _doctor(cluster, tmp_path, "agentflow-local-chaos")
        denied = found.get("rbac.denied") or []
        assert [d["object"] for d in denied] == ["delete pods"], denied
        assert denied[0]["severity"] == "error" and "pod-kill" in denied[0]["message"]
        pod = json.loads(subprocess.run([*kubectl, "get", "pods", "-n", cluster.namespace, "-o", "json"],
                                        capture_output=True, text=True, check=True).stdout)["items"][0]
        name = pod["metadata"]["name"]
        refused = subprocess.run([*kubectl, "--context", "agentflow-local-chaos", "delete", "pod", name,
                                  "-n", cluster.namespace, "--dry-run=server"], capture_output=True, text=True)
        assert refused.returncode != 0
        assert (f'Error from server (Forbidden): pods "{name}" is forbidden: User "chaos" cannot delete resource '
                f'"pods" in API group "" in the namespace "{cluster.namespace}"') in refused.stderr
    finally:
        pods_rule["verbs"].append("delete")
        role["metadata"].pop("resourceVersion", None)
        subprocess.run([*kubectl, "replace", "-f", "-"], input=json.dumps(role), capture_output=True, text=True,
                       check=True)
    assert "rbac.denied" not in _doctor(cluster, tmp_path, "agentflow-local-chaos")
