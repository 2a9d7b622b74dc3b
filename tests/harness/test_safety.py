"""Safety guards of the chaos extension: every refusal (production context, nodes outside the allowed set,
blast radius), dry run, the policy's parsing, and the control that interrupts a real `chaos run` before any
action when the kubeconfig context looks like production."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from chaoslib.exceptions import ActivityFailed
from kubernetes import client

from experiments.afchaos import plan, safety
from experiments.afchaos.policy import PolicyError, SafetyPolicy, settings_from
from experiments.afchaos.safety import check_blast_radius, check_context, check_nodes, guard

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    for var in ("AFSUITE_ALLOW_PRODUCTION", "AFSUITE_ALLOWED_NODES", "AFSUITE_ALLOWED_ZONES", "AFSUITE_MAX_PODS",
                "AFSUITE_MAX_NODES", "AFSUITE_DRY_RUN", "AFSUITE_CLUSTER_NAME", "CHAOSTOOLKIT_IN_POD",
                "KUBERNETES_CONTEXT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AFSUITE_RUN_DIR", str(tmp_path / "default-run"))  # plans and journals go there
    safety.reset()
    yield
    safety.reset()


def kubeconfig(path: Path, contexts: dict[str, tuple[str, str]], current: str) -> str:
    """A kubeconfig with contexts {name: (cluster name, server)}."""
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": current,
           "clusters": [{"name": c, "cluster": {"server": s}} for c, s in contexts.values()],
           "contexts": [{"name": n, "context": {"cluster": c, "user": "u"}} for n, (c, _s) in contexts.items()],
           "users": [{"name": "u", "user": {}}]}
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def node(name: str, zone: str | None = None, local: bool = False) -> dict:
    labels = {"kubernetes.io/hostname": name}
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
    if local:
        labels["node.kubernetes.io/instance-type"] = "localcluster"
    return {"metadata": {"name": name, "labels": labels}}


# ------------------------------------------------------------------------------------------ context
@pytest.mark.parametrize(("ctx", "cluster", "server", "word"), [
    ("prod-eu-1", "c1", "https://10.0.0.1", "prod"),
    ("staging", "arn:aws:eks:eu-west-1:1:cluster/production", "https://abc.eks.amazonaws.com", "production"),
    ("team-prd", "c2", "https://10.0.0.2", "prd"),
    ("gke_proj_zone_c", "c3", "https://api.live.example.com", "live"),
])
def test_production_context_refused(tmp_path, ctx, cluster, server, word):
    cfg = kubeconfig(tmp_path / "kc", {ctx: (cluster, server)}, ctx)
    with pytest.raises(ActivityFailed, match=rf"looks like production \(word\(s\) {word}\).*allow_production"):
        check_context(ctx, kubeconfig=cfg, policy=SafetyPolicy())


def test_production_context_allowed_when_allowed(tmp_path):
    cfg = kubeconfig(tmp_path / "kc", {"prod": ("prod", "https://x")}, "prod")
    ident = check_context("prod", kubeconfig=cfg, policy=SafetyPolicy(allow_production=True))
    assert ident["looks_like_production"] is True


@pytest.mark.parametrize("ctx", ["staging", "product-team", "delivery", "olive-dev", "agentflow-local"])
def test_non_production_context_passes(tmp_path, ctx):
    cfg = kubeconfig(tmp_path / "kc", {ctx: ("c-" + ctx, "https://10.1.2.3:6443")}, ctx)
    assert check_context(ctx, kubeconfig=cfg, policy=SafetyPolicy())["context"] == ctx


def test_context_from_env_and_current_context(tmp_path, monkeypatch):
    cfg = kubeconfig(tmp_path / "kc", {"dev": ("dev", "https://d"), "live-main": ("lm", "https://l")}, "dev")
    monkeypatch.setenv("KUBECONFIG", cfg)
    assert check_context(policy=SafetyPolicy())["context"] == "dev"
    monkeypatch.setenv("KUBERNETES_CONTEXT", "live-main")
    with pytest.raises(ActivityFailed, match="live-main"):
        check_context(policy=SafetyPolicy())
    with pytest.raises(ActivityFailed, match="live-main"):  # secrets name the context too
        check_context(secrets={"KUBERNETES_CONTEXT": "live-main"}, policy=SafetyPolicy())


def test_unknown_context_refused(tmp_path):
    cfg = kubeconfig(tmp_path / "kc", {"dev": ("dev", "https://d")}, "dev")
    with pytest.raises(ActivityFailed, match="context 'nope' not found"):
        check_context("nope", kubeconfig=cfg, policy=SafetyPolicy())


def test_api_client_server_checked():
    cfg = client.Configuration()
    cfg.host = "https://k8s.prod.example.com"
    with pytest.raises(ActivityFailed, match="looks like production"):
        check_context(client.ApiClient(cfg), policy=SafetyPolicy())
    cfg.host = "https://k8s.dev.example.com"
    assert check_context(client.ApiClient(cfg), policy=SafetyPolicy())["server"] == cfg.host


def test_in_pod_needs_a_cluster_name(monkeypatch):
    monkeypatch.setenv("CHAOSTOOLKIT_IN_POD", "true")
    with pytest.raises(ActivityFailed, match="AFSUITE_CLUSTER_NAME"):
        check_context(policy=SafetyPolicy())
    monkeypatch.setenv("AFSUITE_CLUSTER_NAME", "eks-prod")
    with pytest.raises(ActivityFailed, match="looks like production"):
        check_context(policy=SafetyPolicy())
    monkeypatch.setenv("AFSUITE_CLUSTER_NAME", "eks-staging")
    assert check_context(policy=SafetyPolicy())["cluster"] == "eks-staging"


# ------------------------------------------------------------------------------------------ nodes
def test_nodes_outside_allowed_set_refused():
    policy = SafetyPolicy(allowed_nodes=("n1",), allowed_zones=("eu-west-1a",))
    with pytest.raises(ActivityFailed, match=r"n3 \(zone eu-west-1b\).*AFSUITE_ALLOWED_NODES"):
        check_nodes([node("n1", "eu-west-1b"), node("n2", "eu-west-1a"), node("n3", "eu-west-1b")], policy=policy)
    assert check_nodes([node("n1", "eu-west-1b"), node("n2", "eu-west-1a")], policy=policy) == ["n1", "n2"]


def test_nodes_refused_by_default_except_local_ones():
    with pytest.raises(ActivityFailed, match="allowed nodes: none, allowed zones: none"):
        check_nodes([node("ip-10-0-1-1", "eu-west-1a")], policy=SafetyPolicy())
    assert check_nodes([node("node-a1", "zone-a", local=True)], policy=SafetyPolicy()) == ["node-a1"]


def test_node_names_need_an_api():
    with pytest.raises(ActivityFailed, match="no API client"):
        check_nodes(["n1"], policy=SafetyPolicy(allowed_nodes=("n1",)))


# ------------------------------------------------------------------------------------------ blast radius
def test_blast_radius_pods_refused_cumulatively():
    policy = SafetyPolicy(max_pods=3)
    assert check_blast_radius(pods=["a", "b"], policy=policy)["pods"] == 2
    assert check_blast_radius(pods=["b"], policy=policy)["pods"] == 2  # same pod again is not counted twice
    with pytest.raises(ActivityFailed, match=r"touch 4 pods \(2 already, this action 2 more\).*max_pods=3"):
        check_blast_radius(pods=["c", "d"], policy=policy)
    assert check_blast_radius(pods=["c"], policy=policy)["pods"] == 3  # the refused action was not counted


def test_blast_radius_nodes_refused():
    with pytest.raises(ActivityFailed, match="max_nodes=1"):
        check_blast_radius(nodes=["n1", "n2"], policy=SafetyPolicy(max_nodes=1))
    assert check_blast_radius(nodes=2, policy=SafetyPolicy(max_nodes=3))["nodes"] == 2
    with pytest.raises(ActivityFailed, match="max_nodes=3"):  # bare counts add up: 2 + 2 > 3
        check_blast_radius(nodes=2, policy=SafetyPolicy(max_nodes=3))


# ------------------------------------------------------------------------------------------ dry run / guard
def test_guard_checks_everything_before_the_action_and_says_dry_run(tmp_path, monkeypatch):
    cfg = kubeconfig(tmp_path / "kc", {"dev": ("dev", "https://d")}, "dev")
    monkeypatch.setenv("KUBECONFIG", cfg)
    monkeypatch.setenv("AFSUITE_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("AFSUITE_DRY_RUN", "true")
    monkeypatch.setenv("AFSUITE_ALLOWED_ZONES", "z1")
    checked = guard("drain_nodes", nodes=[node("n1", "z1")], pods=["p1", "p2"])
    assert checked.dry_run and checked.nodes == ("n1",) and checked.pods == ("p1", "p2")
    assert checked.planned("drain_nodes")["would_touch"] == {"nodes": ["n1"], "pods": ["p1", "p2"]}
    monkeypatch.setenv("AFSUITE_DRY_RUN", "false")
    assert not guard("drain_nodes", nodes=[node("n1", "z1")]).dry_run
    with pytest.raises(ActivityFailed, match="outside the allowed set"):
        guard("drain_nodes", nodes=[node("n9", "z2")])
    refused = [e for e in plan.entries() if e.get("decision") == "refused"]
    assert refused and "n9" in refused[0]["server"]
    lines = (tmp_path / "run" / "chaos" / "safety.jsonl").read_text().splitlines()
    assert "n9" in json.loads(lines[-1])["refused"]


# ------------------------------------------------------------------------------------------ policy parsing
def test_policy_from_env_and_configuration(monkeypatch):
    monkeypatch.setenv("AFSUITE_ALLOWED_NODES", "n1, n2,")
    monkeypatch.setenv("AFSUITE_MAX_PODS", "5")
    monkeypatch.setenv("AFSUITE_DRY_RUN", "yes")
    policy = SafetyPolicy.from_env({"afsuite_max_pods": 2})
    assert policy == SafetyPolicy(allowed_nodes=("n1", "n2"), max_pods=2, dry_run=True)
    assert SafetyPolicy.from_env(env=policy.to_env()) == policy


@pytest.mark.parametrize(("sources", "expected"), [
    # dry run: any source that asks for it wins; nothing can take it back
    ([{"dry_run": True}, {"dry_run": False}], SafetyPolicy(dry_run=True)),
    ([{"dry_run": False}, {"dry_run": True}], SafetyPolicy(dry_run=True)),
    # production: allowed only when some source allows it and none forbids it
    ([{"allow_production": True}, {}], SafetyPolicy(allow_production=True)),
    ([{"allow_production": True}, {"allow_production": False}], SafetyPolicy()),
    # allowed sets intersect, caps take the smallest
    ([{"allowed_nodes": ("a", "b")}, {"allowed_nodes": ("b", "c")}], SafetyPolicy(allowed_nodes=("b",))),
    ([{"max_pods": 5, "max_nodes": 1}, {"max_pods": 2}], SafetyPolicy(max_pods=2, max_nodes=1)),
])
def test_the_most_cautious_setting_wins(sources, expected):
    assert SafetyPolicy.combine(*sources) == expected


def test_configuration_cannot_undo_the_environments_dry_run(monkeypatch):
    """Regression: chaos_env() wrote the target's AFSUITE_DRY_RUN=false over the caller's true."""
    monkeypatch.setenv("AFSUITE_DRY_RUN", "true")
    assert SafetyPolicy.from_env({"afsuite_dry_run": False}).dry_run


@pytest.mark.parametrize(("var", "value", "msg"), [
    ("AFSUITE_ALLOW_PRODUCTION", "maybe", "AFSUITE_ALLOW_PRODUCTION: 'maybe' is not a boolean"),
    ("AFSUITE_MAX_PODS", "many", "AFSUITE_MAX_PODS: 'many' is not a whole number"),
    ("AFSUITE_MAX_NODES", "-1", "AFSUITE_MAX_NODES: -1 must be >= 0"),
])
def test_bad_policy_values_name_the_variable(var, value, msg):
    with pytest.raises(PolicyError, match=msg):
        SafetyPolicy.from_env(env={var: value})


def test_policy_from_target_mapping():
    data = {"name": "eks", "allow_production": False, "allowed_zones": ["eu-west-1a"], "max_nodes": 1,
            "dry_run": True}
    assert SafetyPolicy.from_mapping(data) == SafetyPolicy(allowed_zones=("eu-west-1a",), max_nodes=1, dry_run=True)
    assert settings_from({"name": "x"}, "t") == {}


# ------------------------------------------------------------------------------------------ control in a real run
@pytest.mark.parametrize("module", ["experiments.afchaos.controls.safety", "experiments.afchaos.safety"])
def test_control_interrupts_a_real_chaos_run_on_a_production_context(tmp_path, module):
    """`chaos run` with the safety control against a context named like production: the run is interrupted
    before the method; the action (which would write a marker file) never runs. An experiment file written
    for the earlier module name (experiments.afchaos.safety) is guarded the same way."""
    cfg = kubeconfig(tmp_path / "kc", {"eks-prod": ("eks-prod", "https://127.0.0.1:9")}, "eks-prod")
    marker = tmp_path / "action-ran"
    experiment = {
        "version": "1.0.0", "title": "safety", "description": "d",
        "controls": [{"name": "safety", "provider": {"type": "python", "module": module}}],
        "method": [{"type": "action", "name": "touch", "provider": {
            "type": "process", "path": sys.executable, "arguments": ["-c", f"open({str(marker)!r}, 'w')"]}}],
    }
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(experiment))
    journal = tmp_path / "journal.json"
    env = {"PATH": "/usr/bin:/bin", "KUBECONFIG": cfg, "PYTHONPATH": str(REPO), "AFSUITE_RUN_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "chaostoolkit", "--log-file", str(tmp_path / "log"), "run",
                           "--journal-path", str(journal), str(path)], env=env, capture_output=True, timeout=120)
    status = json.loads(journal.read_text())["status"]
    assert status == "interrupted", proc.stderr.decode()[-2000:]
    assert not marker.exists(), "the action ran although the context looks like production"
    refused = json.loads((tmp_path / "chaos" / "safety.jsonl").read_text().splitlines()[0])
    assert "eks-prod" in refused["refused"]
    # the same experiment with production allowed runs the action (the test can fail the other way)
    env["AFSUITE_ALLOW_PRODUCTION"] = "true"
    subprocess.run([sys.executable, "-m", "chaostoolkit", "--log-file", str(tmp_path / "log2"), "run",
                    "--journal-path", str(journal), str(path)], env=env, capture_output=True, timeout=120)
    assert json.loads(journal.read_text())["status"] == "completed"
    assert marker.exists()
