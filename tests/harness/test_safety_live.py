"""Safety guards and `afsuite recover` against the running local cluster (real API, real kubeconfig):
the local context passes and the same server under a production-looking context name is refused; local nodes
are always allowed; recover uncordons exactly the nodes the suite cordoned and clears node faults."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
import yaml
from chaoslib.exceptions import ActivityFailed
from typer.testing import CliRunner

from experiments.afchaos import plan
from experiments.afchaos.k8s import LOCAL_FAULT, SUITE_LABEL, Api
from experiments.afchaos.node.actions import cordon_nodes
from experiments.afchaos.safety import SafetyPolicy, check_context, check_nodes
from harness.recover import recover_command
from localcluster.handle import LocalCluster


@pytest.fixture(scope="module")
def lc(tmp_path_factory):
    with LocalCluster(tmp_path_factory.mktemp("lc"), time_scale="fast", timeout=90) as cluster:
        yield cluster


def test_local_context_passes_and_renamed_production_context_is_refused(lc, kube_env, tmp_path):
    assert check_context(policy=SafetyPolicy())["context"] == lc.context
    doc = yaml.safe_load(Path(lc.kubeconfig).read_text())
    doc["contexts"][0]["name"] = doc["current-context"] = "eks-prod-eu"
    renamed = tmp_path / "kubeconfig"
    renamed.write_text(yaml.safe_dump(doc))
    with pytest.raises(ActivityFailed, match=r"eks-prod-eu.*looks like production"):
        check_context(kubeconfig=str(renamed), context="eks-prod-eu", policy=SafetyPolicy())


def test_local_nodes_always_allowed_real_nodes_are_not(kube_env):
    names = [n["metadata"]["name"] for n in kube_env.items("/api/v1/nodes")]
    assert check_nodes(names, api=kube_env, policy=SafetyPolicy()) == names
    node = kube_env.get(f"/api/v1/nodes/{names[0]}")
    node["metadata"]["labels"]["node.kubernetes.io/instance-type"] = "m6i.large"  # as a real node would be
    with pytest.raises(ActivityFailed, match=names[0]):
        check_nodes([node], policy=SafetyPolicy())


def test_dry_run_cordon_reads_real_nodes_and_changes_none(kube_env, monkeypatch):
    monkeypatch.setenv("AFSUITE_DRY_RUN", "true")
    names = [n["metadata"]["name"] for n in kube_env.items("/api/v1/nodes")][:2]
    planned = cordon_nodes(label_selector=f"kubernetes.io/hostname in ({','.join(names)})")
    assert planned["dry_run"] and planned["would_touch"]["nodes"] == names and planned["cordoned"] == names
    assert not any((kube_env.get(f"/api/v1/nodes/{n}").get("spec") or {}).get("unschedulable") for n in names)
    sent = {e["object"]["name"]: e["sent"] for e in plan.entries() if e.get("method") == "PATCH"}
    # the local cluster serves dryRun=All (as upstream), so each planned cordon was sent with it and answered
    assert set(sent) == set(names) and all(v == "dryRun=All" for v in sent.values()), sent


def _empty_node(api: Api) -> str:
    used = {p["spec"].get("nodeName") for p in api.items("/api/v1/pods")}
    return next(n["metadata"]["name"] for n in api.items("/api/v1/nodes") if n["metadata"]["name"] not in used)


def test_recover_uncordons_suite_nodes_and_clears_faults(lc, kube_env, tmp_path):
    api = kube_env
    nodes = sorted(n["metadata"]["name"] for n in api.items("/api/v1/nodes"))
    suite_node, foreign_node = nodes[-1], nodes[-2]
    assert cordon_nodes(name=suite_node) == [suite_node]
    api.patch(f"/api/v1/nodes/{foreign_node}", {"spec": {"unschedulable": True}})  # cordoned by someone else
    faulty = _empty_node(api)
    api.patch(f"/api/v1/nodes/{faulty}", {"metadata": {"annotations": {LOCAL_FAULT: "fail"}}})
    try:
        target = tmp_path / "t.yaml"
        target.write_text(yaml.safe_dump({"kubeconfig": lc.kubeconfig, "context": lc.context,
                                          "namespace": lc.namespace, "service_url": lc.service_url}))
        app = typer.Typer()
        app.command()(recover_command)
        result = CliRunner().invoke(app, ["--target", str(target)])
        assert result.exit_code == 0, result.output
        assert f"uncordoned 1 node(s) cordoned by the suite: {suite_node}" in result.output
        assert f"cleared the local fault annotation on 1 node(s): {faulty}" in result.output
        after = api.get(f"/api/v1/nodes/{suite_node}")
        assert not (after.get("spec") or {}).get("unschedulable")
        assert SUITE_LABEL not in (after["metadata"].get("labels") or {})
        assert api.get(f"/api/v1/nodes/{foreign_node}")["spec"].get("unschedulable") is True
        assert LOCAL_FAULT not in (api.get(f"/api/v1/nodes/{faulty}")["metadata"].get("annotations") or {})
        # nothing left to do: a second run says so
        again = CliRunner().invoke(app, ["--target", str(target)])
        assert "uncordoned 0 node(s)" in again.output and "on 0 node(s)" in again.output
    finally:
        api.patch(f"/api/v1/nodes/{foreign_node}", {"spec": {"unschedulable": None}})
        api.patch(f"/api/v1/nodes/{faulty}", {"metadata": {"annotations": {LOCAL_FAULT: None}}})


def test_recover_reports_an_unreachable_api(tmp_path):
    kc = tmp_path / "kc"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": "http://127.0.0.1:9"}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "u"}}], "users": [{"name": "u", "user": {}}]}))
    target = tmp_path / "t.yaml"
    target.write_text(yaml.safe_dump({"kubeconfig": str(kc), "context": "x", "namespace": "a",
                                      "service_url": "http://127.0.0.1:9"}))
    app = typer.Typer()
    app.command()(recover_command)
    result = CliRunner().invoke(app, ["--target", str(target)])
    assert result.exit_code == 1 and "recover on target t failed" in result.output
