"""Dry run on the real local cluster (issue 12): nothing changes, no traffic, and `chaos/plan.json` names the
objects each action would have touched and why.

Regressions of two table rows: `AFSUITE_DRY_RUN=true afsuite chaos node-drain` cordoned 3 nodes and evicted 3
pods (verdict PASS), and `AFSUITE_DRY_RUN=true chaos run experiments/pod-kill.yaml` killed a pod. The service of
the target is a counting TCP server (any stream, probe or load would reach it); the cluster is snapshotted
(pod UIDs, node specs, labels and annotations, the Deployment) before and after. The local cluster accepts
`dryRun=All` (upstream's server-side dry run), so every change must have been sent with it and answered by the
server; the path where a server refuses dry run (nothing sent) is tested against a recording API server in
test_wire_guard.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from test_refusals import Counter

from localcluster.handle import LocalCluster

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS = sorted(p.stem for p in (REPO / "experiments").glob("*.yaml"))
# objects each experiment's actions must name in the plan (kind, how many at least)
EXPECTED = {"pod-kill": {"pods": 1}, "pod-kill-grace0": {"pods": 1}, "node-drain": {"nodes": 1, "pods": 1},
            "zone-outage": {"nodes": 7, "pods": 1}, "zone-outage-hard": {"nodes": 7},
            "rolling-restart": {"deployments": 1}, "graceful-shutdown": {}, "hpa-scale": {},
            "alert-errors": {"deployments": 1}, "alert-latency": {"deployments": 1}, "alert-down": {"deployments": 1}}


@pytest.fixture(scope="module")
def lc(tmp_path_factory):
    with LocalCluster(tmp_path_factory.mktemp("dry-run-cluster"), variant="good", time_scale="fast",
                      service_port=0, timeout=120) as cluster:
        yield cluster


@pytest.fixture
def service():
    counter = Counter()
    yield counter
    counter.close()


def snapshot(lc: LocalCluster) -> dict:
    get = lambda path: httpx.get(f"{lc.api_url}{path}", timeout=10).json()  # noqa: E731
    pods = get(f"/api/v1/namespaces/{lc.namespace}/pods")["items"]
    nodes = get("/api/v1/nodes")["items"]
    dep = get(f"/apis/apps/v1/namespaces/{lc.namespace}/deployments/agentflow")
    return {
        "pods": sorted((p["metadata"]["name"], p["metadata"]["uid"], bool(p["metadata"].get("deletionTimestamp")))
                       for p in pods),
        "nodes": sorted((n["metadata"]["name"], json.dumps(n.get("spec"), sort_keys=True),
                         json.dumps(n["metadata"].get("labels"), sort_keys=True),
                         json.dumps(n["metadata"].get("annotations"), sort_keys=True)) for n in nodes),
        "deployment": (dep["metadata"].get("generation"), json.dumps(dep["spec"], sort_keys=True)),
    }


def target_file(lc: LocalCluster, tmp_path: Path, service: Counter) -> Path:
    path = tmp_path / "target.yaml"
    path.write_text(yaml.safe_dump({"name": "local-dry", "kubeconfig": str(lc.kubeconfig), "context": lc.context,
                                    "namespace": lc.namespace, "service_url": service.url,
                                    "api_key_file": str(lc.state_dir / "api-key")}))
    return path


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("AFSUITE_", "KUBE", "AGENTFLOW_"))}
    out.update({"PYTHONPATH": str(REPO), **extra})
    return out


def plan_of(path: Path) -> dict:
    plan = json.loads(path.read_text())
    assert plan["dry_run"] is True
    return plan


def changes(plan: dict, experiment: str | None = None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for entry in plan["entries"]:
        if entry.get("method") and (experiment is None or entry.get("experiment") == experiment):
            out.setdefault(entry["object"]["kind"], set()).add(entry["object"]["name"])
            assert entry["decision"] == "planned", entry
            assert entry["sent"] == "dryRun=All" and entry.get("server"), entry  # the local cluster dry-runs it
            assert entry["why"], entry
    return out


def chaos_run(lc: LocalCluster, tmp_path: Path, name: str, service: Counter) -> subprocess.CompletedProcess[str]:
    """Plain `chaos run experiments/<name>.yaml` with only AFSUITE_DRY_RUN=true set."""
    workdir = tmp_path / name
    workdir.mkdir()
    return subprocess.run([sys.executable, "-m", "chaostoolkit", "run", "--journal-path", "journal.json",
                           str(REPO / "experiments" / f"{name}.yaml")], capture_output=True, text=True,
                          cwd=workdir, timeout=240,
                          env=env(AFSUITE_DRY_RUN="true", KUBECONFIG=str(lc.kubeconfig),
                                  KUBERNETES_CONTEXT=lc.context, AGENTFLOW_URL=service.url,
                                  AGENTFLOW_NAMESPACE=lc.namespace))


def check_plain_run(lc: LocalCluster, tmp_path: Path, name: str, service: Counter) -> None:
    before = snapshot(lc)
    done = chaos_run(lc, tmp_path, name, service)
    after = snapshot(lc)
    assert after == before, f"{name}: the dry run changed the cluster\n{done.stdout[-3000:]}"
    assert service.connections == 0, f"{name}: the dry run sent traffic to the service"
    journal = json.loads((tmp_path / name / "journal.json").read_text())
    assert journal["status"] == "completed", done.stdout[-3000:]
    plan = plan_of(tmp_path / name / "plan.json")
    planned = changes(plan)
    for kind, least in EXPECTED[name].items():
        assert len(planned.get(kind, ())) >= least, (name, planned, plan["entries"])
    names = {p[0] for p in before["pods"]} | {n[0] for n in before["nodes"]} | {"agentflow"}
    assert all(obj in names for objects in planned.values() for obj in objects)


def test_plain_chaos_run_pod_kill_dry_run_kills_nothing(lc, tmp_path, service):
    check_plain_run(lc, tmp_path, "pod-kill", service)


@pytest.mark.slow
@pytest.mark.parametrize("name", [e for e in EXPERIMENTS if e != "pod-kill"])
def test_every_experiment_file_as_a_plain_dry_run(lc, tmp_path, service, name):
    check_plain_run(lc, tmp_path, name, service)


def afsuite(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=REPO,
                          env=env(**extra), timeout=400)


def test_afsuite_chaos_with_the_dry_run_env_changes_nothing(lc, tmp_path, service):
    """AFSUITE_DRY_RUN=true wins over the target (which says nothing) and nothing overwrites it."""
    before = snapshot(lc)
    run = tmp_path / "run"
    done = afsuite("chaos", "node-drain", "--target", str(target_file(lc, tmp_path, service)), "--run-dir",
                   str(run), AFSUITE_DRY_RUN="true")
    assert snapshot(lc) == before, done.stdout[-3000:]
    assert service.connections == 0
    assert done.returncode == 0 and "overall verdict: DRY RUN" in done.stdout, done.stdout[-3000:] + done.stderr
    planned = changes(plan_of(run / "chaos" / "plan.json"), "node-drain")
    assert planned["nodes"] and planned["pods"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "dry-run" and manifest["dry_run"] is True
    assert not (run / "streams.parquet").exists() and not (run / "cluster").exists()  # no load, no observer
    summary = json.loads((run / "report" / "summary.json").read_text())
    assert summary["overall_verdict"] == "dry-run" and summary["exit_code"] == 0
    assert "DRY RUN" in (run / "report" / "junit.xml").read_text()


@pytest.mark.slow
def test_a_target_file_can_ask_for_a_dry_run_and_the_env_cannot_undo_it(lc, tmp_path, service):
    target = target_file(lc, tmp_path, service)
    data = yaml.safe_load(target.read_text())
    target.write_text(yaml.safe_dump({**data, "dry_run": True}))
    before = snapshot(lc)
    done = afsuite("chaos", "pod-kill", "--target", str(target), "--run-dir", str(tmp_path / "run"),
                   AFSUITE_DRY_RUN="false")
    assert snapshot(lc) == before and service.connections == 0, done.stdout[-3000:]
    assert "DRY RUN" in done.stdout


def test_afsuite_campaign_dry_run_plans_every_experiment(lc, tmp_path, service):
    before = snapshot(lc)
    run = tmp_path / "run"
    done = afsuite("campaign", "pre-release", "--dry-run", "--target", str(target_file(lc, tmp_path, service)),
                   "--run-dir", str(run))
    assert snapshot(lc) == before, done.stdout[-3000:]
    assert service.connections == 0
    assert done.returncode == 0 and "DRY RUN" in done.stdout, done.stdout[-3000:] + done.stderr
    plan = plan_of(run / "chaos" / "plan.json")
    assert changes(plan, "pod-kill").get("pods") and changes(plan, "node-drain").get("nodes")
    assert len(changes(plan, "zone-outage").get("nodes", ())) == 7
    report = (run / "report" / "report.md").read_text()
    assert "DRY RUN" in report and "plan.node-drain.drain-nodes-hosting-agentflow" in report


def _server_dry_run(lc: LocalCluster) -> bool:
    node = httpx.get(f"{lc.api_url}/api/v1/nodes", timeout=10).json()["items"][0]["metadata"]["name"]
    resp = httpx.patch(f"{lc.api_url}/api/v1/nodes/{node}", params={"dryRun": "All"}, content=b"{}",
                       headers={"Content-Type": "application/merge-patch+json"}, timeout=10)
    return resp.status_code == 200


def test_server_side_dry_run_is_used_when_supported(lc, tmp_path, service):
    assert _server_dry_run(lc), "the local cluster must accept dryRun=All (upstream's server-side dry run)"
    before = snapshot(lc)
    done = chaos_run(lc, tmp_path, "node-drain", service)
    assert snapshot(lc) == before, done.stdout[-3000:]
    entries = [e for e in plan_of(tmp_path / "node-drain" / "plan.json")["entries"] if e.get("method")]
    assert entries and all(e["sent"] == "dryRun=All" and e.get("server") for e in entries), entries


def _relabel(lc: LocalCluster, instance_type: str) -> None:
    for node in httpx.get(f"{lc.api_url}/api/v1/nodes", timeout=10).json()["items"]:
        httpx.patch(f"{lc.api_url}/api/v1/nodes/{node['metadata']['name']}", timeout=10,
                    content=json.dumps({"metadata": {"labels": {"node.kubernetes.io/instance-type": instance_type}}}),
                    headers={"Content-Type": "application/merge-patch+json"}).raise_for_status()


@pytest.mark.slow
def test_a_blast_radius_cap_refuses_the_run_before_anything_starts(lc, tmp_path, service):
    before = snapshot(lc)
    run = tmp_path / "run"
    done = afsuite("chaos", "node-drain", "--target", str(target_file(lc, tmp_path, service)), "--run-dir", str(run),
                   AFSUITE_MAX_NODES="1")
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]  # REFUSED
    assert "max_nodes=1" in done.stderr and "AFSUITE_MAX_NODES" in done.stderr
    assert snapshot(lc) == before and service.connections == 0 and not run.exists()


@pytest.mark.slow
def test_nodes_outside_the_allowed_zones_refuse_a_campaign_before_its_load(lc, tmp_path, service):
    """The local cluster's nodes are always allowed; relabelled as a cloud's nodes, only zone-b is allowed: the
    campaign's node drain would touch zone-a and zone-c, so the campaign is refused before its load starts."""
    target = target_file(lc, tmp_path, service)
    target.write_text(yaml.safe_dump({**yaml.safe_load(target.read_text()), "allowed_zones": ["zone-b"]}))
    _relabel(lc, "m6i.large")
    try:
        before = snapshot(lc)
        done = afsuite("campaign", "pre-release", "--target", str(target), "--run-dir", str(tmp_path / "run"))
        after = snapshot(lc)
    finally:
        _relabel(lc, "localcluster")
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-2000:]
    assert "outside the allowed set" in done.stderr and "zone zone-a" in done.stderr and "allowed_zones" in done.stderr
    assert after == before and service.connections == 0 and not (tmp_path / "run").exists()
