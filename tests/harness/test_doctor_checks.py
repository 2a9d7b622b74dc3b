"""The doctor's manifest-level findings over every known-bad variant of the local workload (pure functions of
the manifests from `localcluster.workload.variants.apply_variant`, no cluster), and the metrics caveat over
real Prometheus text from the reference server."""

from __future__ import annotations

import httpx
import pytest

from harness.doctor_checks import manifest_findings, metrics_findings, pdb_findings, selects
from localcluster.agentflow.process import ReferenceServer
from localcluster.workload.manifests import load_manifests
from localcluster.workload.variants import VARIANTS, apply_variant

EXPECTED = {
    "no-prestop": "workload.prestop",
    "hpa-no-behavior": "hpa.behavior",
    "no-pdb": "pdb.missing",
    "pdb-all": "pdb.deadlock",
    "single-replica": "workload.single-replica",
    "ready-on-health": "workload.readiness-path",
    "no-anti-affinity": "workload.anti-affinity",
    "no-spread": "workload.topology-spread",
}


def problems(docs) -> dict[str, str]:
    return {f.check: f.severity for f in manifest_findings(docs) if f.severity in ("warning", "error")}


# no manifest-level finding: the good workloads, a fault in the cluster (stale-metrics: its manifests are the good
# ones), memory-bound (not a failure: memory decides the HPA), low-capacity (found by `afsuite sweep`) and
# guide-alerts (the cluster's Prometheus loads the guide's rules: judged by the alerts.* checks)
KNOWN_GOOD = {"good", "long-grace", "stale-metrics", "memory-bound", "low-capacity", "guide-alerts"}


def test_every_variant_is_covered():
    assert set(EXPECTED) == set(VARIANTS) - KNOWN_GOOD


def test_good_workload_cuts_long_agent_runs():
    """The production guide's grace (60 s) is below its own agent timeout (3m): the doctor says so."""
    assert problems(load_manifests()) == {"workload.stream-budget": "warning"}
    finding = next(f for f in manifest_findings(load_manifests()) if f.check == "workload.stream-budget")
    assert "grace 60 s < agent timeout 180 s: runs longer than ~55 s are cut at every disruption" in finding.message
    assert "min(grace 60 s, preStop 10 s + server drain 45 s) = 55 s" in finding.message


def test_long_grace_workload_has_no_problem():
    assert problems(apply_variant("long-grace", load_manifests())) == {}


def test_stream_budget_of_real_agentflow_and_odd_hooks():
    docs = load_manifests()
    dep = next(d for d in docs if d["kind"] == "Deployment")
    container = dep["spec"]["template"]["spec"]["containers"][0]
    container["args"] = []  # AgentFlow itself: shutdown_timeout 15 s
    container["lifecycle"] = {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 5 && true"]}}}
    finding = next(f for f in manifest_findings([dep]) if f.check == "workload.stream-budget")
    assert "min(grace 60 s, preStop 5 s + server drain 15 s) = 20 s" in finding.message
    container["lifecycle"] = {"preStop": {"httpGet": {"path": "/drain", "port": 8080}}}
    finding = next(f for f in manifest_findings([dep]) if f.check == "workload.stream-budget")
    assert "preStop ? s" in finding.message


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_variant_has_its_finding(variant):
    found = problems(apply_variant(variant, load_manifests()))
    assert EXPECTED[variant] in found, found
    assert found[EXPECTED[variant]] == ("error" if variant == "pdb-all" else "warning")


def test_chart_defaults_grace_period_and_missing_objects():
    docs = load_manifests()
    dep = next(d for d in docs if d["kind"] == "Deployment")
    del dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert problems([dep]) == {"workload.grace-period": "warning", "hpa.missing": "warning",
                               "pdb.missing": "warning", "workload.stream-budget": "warning"}


def test_pdb_percent_and_max_unavailable_zero_deadlock():
    dep = {"kind": "Deployment", "metadata": {"name": "a"}, "spec": {"replicas": 3}}
    for spec in ({"minAvailable": "100%"}, {"maxUnavailable": 0}):
        assert pdb_findings([{"kind": "PodDisruptionBudget", "metadata": {"name": "p"}, "spec": spec}],
                            dep)[0].check == "pdb.deadlock"
    assert pdb_findings([{"spec": {"minAvailable": "50%"}}], dep)[0].severity == "ok"
    assert pdb_findings([{"spec": {}}, {"spec": {}}], dep)[0].check == "pdb.several"


def test_pdb_deadlocks_at_hpa_min():
    dep = {"kind": "Deployment", "metadata": {"name": "a"}, "spec": {"replicas": 3}}
    pdb = {"kind": "PodDisruptionBudget", "metadata": {"name": "p"}, "spec": {"minAvailable": 2}}
    assert [f.check for f in pdb_findings([pdb], dep, hpa_min=2)] == ["pdb.found", "pdb.deadlock-at-hpa-min"]
    assert [f.check for f in pdb_findings([pdb], dep, hpa_min=3)] == ["pdb.found"]


def test_selector_matching():
    labels = {"app.kubernetes.io/name": "agentflow", "tier": "api"}
    assert selects({"matchLabels": {"app.kubernetes.io/name": "agentflow"}}, labels)
    assert not selects({"matchLabels": {"app.kubernetes.io/name": "other"}}, labels)
    assert selects({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["api"]}]}, labels)
    assert not selects({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, labels)
    assert selects({}, labels)  # policy/v1: an empty selector selects every pod
    assert not selects(None, labels)


def test_metrics_caveat_from_a_real_reference_server():
    with ReferenceServer(api_key="k") as srv:
        httpx.get(srv.url + "/health", timeout=5)
        text = httpx.get(srv.metrics_url + "/metrics", timeout=5).text
    checks = {f.check: f for f in metrics_findings(text, "pod/x")}
    assert "agentflow_requests_total" in checks["metrics.names"].message
    assert 'agentflow_http_requests_total{status="5xx"}' in checks["metrics.names"].message
    assert checks["metrics.top-bucket"].severity == "warning"
    # a server exporting the documented names would not get the names warning (the check can fail)
    fixed = text + "agentflow_requests_total{status=\"error\"} 0\n"
    assert all(f.check != "metrics.names" or f.severity == "ok" for f in metrics_findings(fixed))
    assert metrics_findings(None, "no pod")[0].severity == "info"
