"""The real kubectl (the one on PATH; `make test` installs Debian's when missing) against a running local
cluster, through the kubeconfig `afsuite cluster up` writes (https, admin token): every row of the fidelity
matrix (kubectl_matrix.py, docs/local-cluster-fidelity.md) and create/apply/edit/diff of each served kind.
Under CI=true a missing kubectl fails the module instead of skipping it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from kubectl_matrix import DOC, MATRIX, render

from localcluster.api.objects import NAME_ALPHABET
from localcluster.handle import LocalCluster
from localcluster.quantity import parse_milli

pytestmark = pytest.mark.timeout(600)
REF_IMAGE = "agentflow-reference:1.11.3"


class Kubectl:
    def __init__(self, kubeconfig: str, cache: Path) -> None:
        self.base = ["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", str(cache)]

    def __call__(self, *args: str, check: bool = True, stdin: str | None = None, env: dict | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*self.base, *args], capture_output=True, text=True, input=stdin, timeout=timeout,
                              env={**os.environ, **(env or {})})
        if check:
            assert proc.returncode == 0, f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}"
        return proc

    def json(self, *args: str) -> dict:
        return json.loads(self("get", *args, "-o", "json").stdout)


def until(fn, what: str, timeout: float = 60.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


MIN_MINOR = 32  # the matrix is proven with kubectl 1.32 (protobuf bodies, OpenAPI v3 validation, auth whoami)


def _unusable_kubectl() -> str | None:
    if shutil.which("kubectl") is None:
        return "kubectl is not installed: `make kubectl` (part of `make test`) installs kubectl 1.32 into .venv/tools"
    try:
        out = subprocess.run(["kubectl", "version", "--client", "-o", "json"], capture_output=True, text=True,
                             timeout=30).stdout
        minor = int(re.sub(r"\D", "", json.loads(out)["clientVersion"]["minor"]) or 0)
    except (ValueError, KeyError, OSError, subprocess.TimeoutExpired):
        return "cannot tell the version of the kubectl on PATH"
    if minor < MIN_MINOR:
        return f"kubectl 1.{minor} is older than the 1.{MIN_MINOR} the fidelity matrix is proven with: install a newer"
    return None


@pytest.fixture(scope="module")
def lc(tmp_path_factory):
    problem = _unusable_kubectl()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    with LocalCluster(tmp_path_factory.mktemp("lc"), time_scale="fast", service_port=0, timeout=90,
                      cpu_scale=10) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def k(lc, tmp_path_factory) -> Kubectl:
    return Kubectl(lc.kubeconfig, tmp_path_factory.mktemp("kubectl-cache"))


@pytest.fixture(scope="module")
def ns(k) -> str:
    k("create", "namespace", "e2e")
    return "e2e"


def manifest(tmp: Path, name: str, docs: list[dict]) -> str:
    path = tmp / name
    path.write_text(yaml.safe_dump_all(docs))
    return str(path)


def ref_deployment(name: str, ns: str, replicas: int = 1, container_extra: dict | None = None,
                   **template_extra) -> dict:
    container_extra = container_extra or {}
    spec = {"terminationGracePeriodSeconds": 5, "containers": [{
        "name": "app", "image": REF_IMAGE, "args": ["--warmup", "0"],
        "ports": [{"name": "http", "containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}}, **container_extra}], **template_extra}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


# --------------------------------------------------------------------------------------------- the matrix doc
def test_fidelity_matrix_doc_is_generated_from_the_tests():
    names = {n for n, v in globals().items() if n.startswith("test_") and callable(v)}
    missing = [row[3] for row in MATRIX if row[3] not in names]
    assert not missing, f"matrix rows name tests that do not exist: {missing}"
    stale = "docs/local-cluster-fidelity.md is stale: run python tests/localcluster/kubectl_matrix.py"
    assert DOC.read_text() == render(), stale


# --------------------------------------------------------------------------------------------- OpenAPI
def test_apply_validates_on_the_server(k, ns, tmp_path):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "valid", "namespace": ns}, "data": {"a": "1"}}
    out = k("apply", "-f", manifest(tmp_path, "cm.yaml", [cm]))
    assert "configmap/valid created" in out.stdout
    bad = k("apply", "-f", manifest(tmp_path, "bad.yaml", [{**cm, "metadata": {"name": "bad", "namespace": ns},
                                                             "bogus": 1}]), check=False)
    assert bad.returncode != 0 and 'strict decoding error: unknown field "bogus"' in bad.stderr
    assert "failed to download openapi" not in bad.stderr


def test_explain_v3_and_v2(k):
    v3 = k("explain", "deployment.spec.strategy").stdout
    assert "FIELD: strategy <DeploymentStrategy>" in v3 or "strategy" in v3
    assert "rollingUpdate" in v3 and "The deployment strategy to use" in v3
    v2 = k("explain", "pods.spec.containers.livenessProbe", "--output=plaintext-openapiv2").stdout
    assert "RESOURCE: livenessProbe <Object>" in v2 and "failureThreshold" in v2


def test_edit_noop_and_change(k, ns, tmp_path):
    k("create", "configmap", "editme", "--from-literal=a=1", "-n", ns)
    noop = k("edit", "configmap", "editme", "-n", ns, env={"KUBE_EDITOR": "true"})
    assert "Edit cancelled, no changes made." in noop.stdout + noop.stderr
    script = tmp_path / "editor.sh"
    script.write_text("#!/bin/sh\nsed -i 's/a: \"1\"/a: \"2\"/' \"$1\"\n")
    script.chmod(0o755)
    changed = k("edit", "configmap", "editme", "-n", ns, env={"KUBE_EDITOR": str(script)})
    assert "configmap/editme edited" in changed.stdout
    assert k.json("configmap", "editme", "-n", ns)["data"] == {"a": "2"}


# --------------------------------------------------------------------------------------------- dry run
def test_diff_and_server_dry_run_change_nothing(k, ns, tmp_path):
    dep = ref_deployment("dry", ns)
    assert k("create", "-f", manifest(tmp_path, "d.yaml", [dep]), "--dry-run=server").returncode == 0
    assert k("get", "deployment", "dry", "-n", ns, check=False).returncode != 0  # nothing stored
    k("apply", "-f", manifest(tmp_path, "d.yaml", [dep]))
    dep["spec"]["replicas"] = 2
    diff = k("diff", "-f", manifest(tmp_path, "d2.yaml", [dep]), check=False)
    assert diff.returncode == 1 and "-  replicas: 1" in diff.stdout and "+  replicas: 2" in diff.stdout
    k("apply", "-f", manifest(tmp_path, "d2.yaml", [dep]), "--dry-run=server")
    k("scale", "deployment/dry", "--replicas=5", "-n", ns, "--dry-run=server")
    k("delete", "deployment", "dry", "-n", ns, "--dry-run=server")
    live = k.json("deployment", "dry", "-n", ns)
    assert live["spec"]["replicas"] == 1 and not live["metadata"].get("deletionTimestamp")
    assert k("diff", "-f", manifest(tmp_path, "d.yaml", [ref_deployment("dry", ns)]), check=False).returncode == 0


def test_drain_dry_run_evicts_nothing(k, lc):
    pods = k.json("pods", "-n", lc.namespace)["items"]
    node = pods[0]["spec"]["nodeName"]
    pdb_before = k.json("pdb", "agentflow", "-n", lc.namespace)["status"]
    out = k("drain", node, "--ignore-daemonsets", "--dry-run=server", "--timeout=30s")
    assert "(server dry run)" in out.stdout
    after = {p["metadata"]["uid"] for p in k.json("pods", "-n", lc.namespace)["items"]}
    assert {p["metadata"]["uid"] for p in pods} <= after  # nothing evicted
    assert not k.json("node", node)["spec"].get("unschedulable")  # the cordon was a dry run too
    pdb_after = k.json("pdb", "agentflow", "-n", lc.namespace)["status"]
    assert pdb_after.get("disruptedPods") == pdb_before.get("disruptedPods")


# --------------------------------------------------------------------------------------------- apply
def test_server_side_apply_and_conflict(k, ns, tmp_path):
    dep = ref_deployment("ssa", ns, replicas=1)
    out = k("apply", "--server-side", "-f", manifest(tmp_path, "s.yaml", [dep]))
    assert "serverside-applied" in out.stdout
    k("scale", "deployment/ssa", "--replicas=2", "-n", ns)
    dep["spec"]["replicas"] = 3
    conflict = k("apply", "--server-side", "-f", manifest(tmp_path, "s3.yaml", [dep]), check=False)
    assert conflict.returncode != 0
    assert ('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: '
            ".spec.replicas") in conflict.stderr
    k("apply", "--server-side", "--force-conflicts", "-f", manifest(tmp_path, "s3.yaml", [dep]))
    live = k.json("deployment", "ssa", "-n", ns, "--show-managed-fields")
    assert live["spec"]["replicas"] == 3
    assert any(m["manager"] == "kubectl" and m["operation"] == "Apply" for m in live["metadata"]["managedFields"])


# --------------------------------------------------------------------------------------------- bodies
def test_create_subcommands_send_protobuf(k, ns):
    commands = [
        ("deployment", "pb-web", f"--image={REF_IMAGE}", "--replicas=0"),
        ("service", "clusterip", "pb-web", "--tcp=80:8080"),
        ("poddisruptionbudget", "pb-pdb", "--selector=app=pb-web", "--min-available=1"),
        ("secret", "generic", "pb-secret", "--from-literal=token=s3cret"),
        ("configmap", "pb-cm", "--from-literal=a=b"),
        ("serviceaccount", "pb-sa"),
        ("role", "pb-role", "--verb=get", "--resource=pods"),
        ("rolebinding", "pb-rb", "--role=pb-role", "--user=bob"),
    ]
    for args in commands:
        out = k("create", *args, "-n", ns)
        assert "created" in out.stdout
    k("create", "clusterrole", "pb-cr", "--verb=list", "--resource=nodes")
    k("create", "clusterrolebinding", "pb-crb", "--clusterrole=pb-cr", "--group=ops")
    assert k.json("deployment", "pb-web", "-n", ns)["spec"]["replicas"] == 0  # a pointer zero survives
    assert k.json("service", "pb-web", "-n", ns)["spec"]["ports"][0]["targetPort"] == 8080
    assert k.json("pdb", "pb-pdb", "-n", ns)["spec"]["minAvailable"] == 1
    assert k.json("secret", "pb-secret", "-n", ns)["data"] == {"token": "czNjcmV0"}


# --------------------------------------------------------------------------------------------- kinds
KINDS = {
    "ConfigMap": ("v1", {"data": {"k": "v"}}, ("data", "k"), "v2"),
    "Secret": ("v1", {"data": {"k": "dg=="}}, ("metadata", "labels", "tier"), "x"),
    "ServiceAccount": ("v1", {}, ("metadata", "labels", "tier"), "x"),
    "Lease": ("coordination.k8s.io/v1", {"spec": {"holderIdentity": "me", "leaseDurationSeconds": 10}},
              ("spec", "holderIdentity"), "you"),
    "Role": ("rbac.authorization.k8s.io/v1", {"rules": [{"apiGroups": [""], "resources": ["pods"],
                                                        "verbs": ["get"]}]}, ("metadata", "labels", "tier"), "x"),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "kinds-role"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "amy"}]},
        ("metadata", "labels", "tier"), "x"),
    "Service": ("v1", {"spec": {"ports": [{"port": 80}], "selector": {"app": "x"}}}, ("metadata", "labels", "tier"),
                "x"),
    "PodDisruptionBudget": ("policy/v1", {"spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "x"}}}},
                            ("metadata", "labels", "tier"), "x"),
    "HorizontalPodAutoscaler": ("autoscaling/v2", {"spec": {"maxReplicas": 3, "scaleTargetRef": {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "x"}}}, ("spec", "maxReplicas"), 4),
}


def test_each_served_kind_create_apply_edit_diff(k, ns, tmp_path):
    for kind, (api_version, body, field, new_value) in KINDS.items():
        name = "kinds-role" if kind == "Role" else f"kinds-{kind.lower()}"
        doc = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": ns}, **body}
        path = manifest(tmp_path, f"{kind}.yaml", [doc])
        assert "created" in k("create", "-f", path).stdout, kind
        assert "configured" in k("apply", "-f", path).stdout, kind  # created without last-applied: patched in
        plural = "leases" if kind == "Lease" else kind.lower()
        version = k.json(plural, name, "-n", ns)["metadata"]["resourceVersion"]
        k("apply", "-f", path)  # (kubectl patches a PDB's `replace`-strategy selector every time, as upstream)
        assert k.json(plural, name, "-n", ns)["metadata"]["resourceVersion"] == version, f"{kind}: a no-op wrote"
        changed = json.loads(json.dumps(doc))
        target = changed
        for part in field[:-1]:
            target = target.setdefault(part, {})
        target[field[-1]] = new_value
        changed_path = manifest(tmp_path, f"{kind}-2.yaml", [changed])
        diff = k("diff", "-f", changed_path, check=False)
        assert diff.returncode == 1 and str(new_value) in diff.stdout, f"{kind}: {diff.stdout}{diff.stderr}"
        k("apply", "-f", changed_path)
        assert k("diff", "-f", changed_path, check=False).returncode == 0, kind
        edited = k("edit", kind.lower(), name, "-n", ns, env={"KUBE_EDITOR": "true"})
        assert "Edit cancelled" in edited.stdout + edited.stderr, kind


def test_workload_secret_is_served(k, lc):
    dep = k.json("deployment", "agentflow", "-n", lc.namespace)
    ref = dep["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]
    secret = k.json("secret", ref["name"], "-n", lc.namespace)
    assert ref["key"] in secret["data"]
    log = Path(lc.state_dir, "cluster.log").read_text()
    assert lc.api_key not in log


def test_unserved_kinds_are_unknown(k):
    for kind in ("statefulsets", "daemonsets", "jobs", "cronjobs", "ingresses", "persistentvolumeclaims"):
        out = k("get", kind, check=False)
        assert out.returncode != 0 and "the server doesn't have a resource type" in out.stderr, kind


# --------------------------------------------------------------------------------------------- RBAC
def test_auth_can_i_and_whoami(k):
    assert k("auth", "can-i", "delete", "pods").stdout.strip() == "yes"
    assert "admin" in k("auth", "whoami").stdout
    who = k("auth", "whoami", "--user", "agentflow-local-viewer").stdout
    assert re.search(r"Username\s+viewer", who)
    assert k("auth", "can-i", "delete", "pods", "--user", "agentflow-local-viewer", check=False).stdout.strip() == "no"
    rules = k("auth", "can-i", "--list", "--user", "agentflow-local-chaos", "-n", "agentflow").stdout
    assert "pods/eviction" in rules and "deployments.apps" in rules


def test_restricted_identity_is_forbidden(k, lc):
    out = k("delete", "pod", "--all", "-n", lc.namespace, "--user", "agentflow-local-viewer", "--dry-run=server",
            check=False)
    assert out.returncode != 0
    assert (f'is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace '
            f'"{lc.namespace}"') in out.stderr
    nodes = k("get", "nodes", "--user", "agentflow-local-viewer", check=False)
    assert 'nodes is forbidden: User "viewer" cannot list resource "nodes" in API group "" at the cluster scope' \
        in nodes.stderr


# --------------------------------------------------------------------------------------------- metrics, HPA
def test_top_pods_and_nodes(k, lc):
    pods = until(lambda: k("top", "pods", "-n", lc.namespace, check=False), "pod metrics")
    assert pods.returncode == 0, pods.stderr
    assert len([ln for ln in pods.stdout.splitlines()[1:] if ln.startswith("agentflow-")]) == 3
    nodes = k("top", "nodes")
    assert nodes.stdout.splitlines()[0].split()[:2] == ["NAME", "CPU(cores)"]


def test_top_reports_the_scaled_numbers_the_hpa_uses(k, lc):
    """This cluster declares CPU scale 10: metrics.k8s.io (kubectl top) serves the same scaled samples as the HPA
    reads, so a ~27 MiB reference-server process shows about 270Mi, as the HPA's memory metric does."""
    def both():
        top = k("top", "pods", "-n", lc.namespace, "--no-headers", check=False)
        hpa = json.loads(k("get", "hpa", "agentflow", "-n", lc.namespace, "-o", "json").stdout)
        memory = [m["resource"]["current"] for m in (hpa.get("status") or {}).get("currentMetrics") or ()
                  if m.get("type") == "Resource" and m["resource"]["name"] == "memory"]
        return (top, memory[0]) if top.returncode == 0 and memory else None

    top, hpa_memory = until(both, "pod metrics and the HPA's memory metric")
    mib = [int(line.split()[2].removesuffix("Mi")) for line in top.stdout.splitlines() if line.strip()]
    assert mib and all(150 <= m <= 2000 for m in mib), mib  # a Python process x 10, not its real ~27Mi
    hpa_mib = parse_milli(hpa_memory["averageValue"]) / 1000 / 2**20
    assert abs(sum(mib) / len(mib) - hpa_mib) <= 0.2 * hpa_mib, (mib, hpa_mib)
    assert hpa_memory["averageUtilization"] == pytest.approx(hpa_mib / 512 * 100, abs=2)


def test_autoscale_v1_view(k, ns):
    k("create", "deployment", "scaled", f"--image={REF_IMAGE}", "--replicas=0", "-n", ns)
    assert "autoscaled" in k("autoscale", "deployment", "scaled", "--min=1", "--max=4", "--cpu-percent=60",
                             "-n", ns).stdout
    v1 = json.loads(k("get", "horizontalpodautoscalers.v1.autoscaling", "scaled", "-n", ns, "-o", "json").stdout)
    assert v1["apiVersion"] == "autoscaling/v1" and v1["spec"]["targetCPUUtilizationPercentage"] == 60
    v2 = json.loads(k("get", "horizontalpodautoscalers.v2.autoscaling", "scaled", "-n", ns, "-o", "json").stdout)
    assert v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60


# --------------------------------------------------------------------------------------------- rollout
def test_rollout_undo_reuses_the_old_replicaset(k, ns, tmp_path):
    k("apply", "-f", manifest(tmp_path, "u.yaml", [ref_deployment("undo", ns)]))
    k("rollout", "status", "deployment/undo", "-n", ns, "--timeout=60s")
    first = k.json("rs", "-n", ns, "-l", "app=undo")["items"]
    k("set", "env", "deployment/undo", "-n", ns, "MODE=two")
    k("rollout", "status", "deployment/undo", "-n", ns, "--timeout=60s")
    assert "rolled back" in k("rollout", "undo", "deployment/undo", "-n", ns).stdout
    k("rollout", "status", "deployment/undo", "-n", ns, "--timeout=60s")
    rss = {rs["metadata"]["name"]: rs for rs in k.json("rs", "-n", ns, "-l", "app=undo")["items"]}
    assert len(rss) == 2  # no third ReplicaSet
    old = rss[first[0]["metadata"]["name"]]
    assert old["spec"]["replicas"] == 1 and old["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    history = k("rollout", "history", "deployment/undo", "-n", ns).stdout
    assert re.search(r"^2\s", history, re.M) and re.search(r"^3\s", history, re.M)


def test_rollout_pause_condition(k, ns, tmp_path):
    k("apply", "-f", manifest(tmp_path, "p.yaml", [ref_deployment("pause", ns, replicas=0)]))
    k("rollout", "pause", "deployment/pause", "-n", ns)

    def reason():
        conds = k.json("deployment", "pause", "-n", ns).get("status", {}).get("conditions") or []
        return next((c["reason"] for c in conds if c["type"] == "Progressing"), None)

    until(lambda: reason() == "DeploymentPaused", "the DeploymentPaused condition")
    k("rollout", "resume", "deployment/pause", "-n", ns)
    until(lambda: reason() in ("DeploymentResumed", "NewReplicaSetAvailable", "ReplicaSetUpdated"), "resume")


# --------------------------------------------------------------------------------------------- logs, describe
def test_logs_previous_is_bad_request(k, lc):
    pod = k.json("pods", "-n", lc.namespace)["items"][0]["metadata"]["name"]
    out = k("logs", pod, "-n", lc.namespace, "--previous", check=False)
    assert out.returncode != 0
    assert f'previous terminated container "agentflow" in pod "{pod}" not found' in out.stderr


def test_describe_defaults(k, lc):
    pod = k.json("pods", "-n", lc.namespace)["items"][0]
    text = k("describe", "pod", pod["metadata"]["name"], "-n", lc.namespace).stdout
    assert "http-get http://:http/health delay=15s timeout=5s period=20s #success=1 #failure=3" in text
    node = k("describe", "node", pod["spec"]["nodeName"]).stdout
    assert "Failed to get lease" not in node and f"HolderIdentity:  {pod['spec']['nodeName']}" in node


# --------------------------------------------------------------------------------------------- namespaces, names
def test_namespace_deletion_is_graceful(k, tmp_path):
    k("create", "namespace", "doomed")
    slow_stop = {"lifecycle": {"preStop": {"exec": {"command": ["sleep", "3"]}}}}  # termination takes a while
    k("apply", "-f", manifest(tmp_path, "doomed.yaml", [ref_deployment("victim", "doomed", container_extra=slow_stop)]))
    k("rollout", "status", "deployment/victim", "-n", "doomed", "--timeout=60s")
    uid = k.json("pods", "-n", "doomed")["items"][0]["metadata"]["uid"]
    k("delete", "namespace", "doomed", "--wait=false")
    assert k.json("namespace", "doomed")["status"]["phase"] == "Terminating"
    refused = k("create", "configmap", "late", "-n", "doomed", check=False)
    assert "because it is being terminated" in refused.stderr
    terminating = until(lambda: [p for p in k.json("pods", "-n", "doomed")["items"]
                                 if p["metadata"]["uid"] == uid and p["metadata"].get("deletionTimestamp")],
                        "the pod terminating gracefully")
    assert terminating[0]["metadata"]["deletionGracePeriodSeconds"] == 5
    until(lambda: k("get", "namespace", "doomed", check=False).returncode != 0, "the namespace to go", timeout=90)


def test_generated_names_use_upstream_alphabet(k, lc):
    for pod in k.json("pods", "-n", lc.namespace)["items"]:
        suffix = pod["metadata"]["name"].rsplit("-", 1)[1]
        assert len(suffix) == 5 and set(suffix) <= set(NAME_ALPHABET), pod["metadata"]["name"]


# --------------------------------------------------------------------------------------------- streaming
def test_streaming_verbs_are_refused_clearly(k, lc):
    pod = k.json("pods", "-n", lc.namespace)["items"][0]["metadata"]["name"]
    n = ["-n", lc.namespace]
    for args, what in ((("exec", pod, *n, "--", "ls"), "kubectl exec"), (("attach", pod, *n), "kubectl attach"),
                       (("cp", f"{lc.namespace}/{pod}:/etc/hosts", "/tmp/afsuite-cp-test"), "kubectl cp"),
                       (("port-forward", pod, *n, "0:8080"), "kubectl port-forward")):
        out = k(*args, check=False, timeout=30)
        assert out.returncode != 0, args
        assert what in out.stderr and "is not supported by the local cluster" in out.stderr, out.stderr


# --------------------------------------------------------------------------------------------- game day core
@pytest.mark.slow  # worked before the fidelity work; ~20 s of rollouts: `make test-slow`
def test_game_day_core(k, ns, tmp_path):
    k("apply", "-f", manifest(tmp_path, "g.yaml", [ref_deployment("core", ns, replicas=2)]))
    k("rollout", "status", "deployment/core", "-n", ns, "--timeout=60s")
    k("label", "deployment", "core", "tier=web", "-n", ns)
    k("annotate", "deployment", "core", "note=hi", "-n", ns)
    k("patch", "deployment", "core", "-n", ns, "-p", '{"metadata":{"labels":{"merge":"yes"}}}', "--type=merge")
    k("patch", "deployment", "core", "-n", ns, "-p", '[{"op":"add","path":"/metadata/labels/json","value":"yes"}]',
      "--type=json")
    k("patch", "deployment", "core", "-n", ns, "-p", '{"metadata":{"labels":{"smp":"yes"}}}')
    labels = k.json("deployment", "core", "-n", ns)["metadata"]["labels"]
    assert {key: labels.get(key) for key in ("tier", "merge", "json", "smp")} == {
        "tier": "web", "merge": "yes", "json": "yes", "smp": "yes"}
    k("rollout", "restart", "deployment/core", "-n", ns)
    k("rollout", "status", "deployment/core", "-n", ns, "--timeout=90s")
    pod = k.json("pods", "-n", ns, "-l", "app=core")["items"][0]
    node = pod["spec"]["nodeName"]
    k("cordon", node)
    assert k.json("node", node)["spec"]["unschedulable"] is True
    k("uncordon", node)
    k("delete", "pod", pod["metadata"]["name"], "-n", ns, "--wait=false")
    k("wait", "--for=delete", f"pod/{pod['metadata']['name']}", "-n", ns, "--timeout=60s")
