"""Contract: every chaosk8s activity the suite relies on, against the assembled local cluster, under BOTH
kubernetes client generations (see docs/kubernetes-api.md, "Client generations").

One LocalCluster (variant good, time scale fast) serves the whole module. `contract_chaosk8s_script.py` runs in a
subprocess with KUBECONFIG / KUBERNETES_CONTEXT set, as `chaos run` would, once under this interpreter (client
<= 36) and once under AFSUITE_K8S37_PYTHON (client 37; `make test` sets it, `make .venv-k37/.installed` builds
it), and prints JSON that the tests below assert on. Phase `core` (default suite): list/get of every served kind,
pod/node/deployment/service/event probes (the watch-based ones with short timeouts), cordon/uncordon, drains,
terminate_pods with proof, delete_nodes. Phase `disruptive` (@slow: a rollout of 3 pods takes ~45 s per
generation): a drain that evicts, scale_deployment against the HPA, rollout_deployment, delete_replica_set of
the old ReplicaSet.

    AFSUITE_K8S37_PYTHON=$PWD/.venv-k37/bin/python .venv/bin/pytest tests/localcluster/test_contract_chaosk8s.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes
import pytest
from proc_alive import still_running

from localcluster.handle import LocalCluster

SCRIPT = Path(__file__).with_name("contract_chaosk8s_script.py")
K37 = os.environ.get("AFSUITE_K8S37_PYTHON", "")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    lc = LocalCluster(tmp_path_factory.mktemp("lc"), variant="good", time_scale="fast", timeout=90)
    lc.start()
    try:
        yield lc
    finally:
        pids = lc.pids()
        leftover = lc.stop()
        assert leftover == [], f"processes of the local cluster left after stop: {leftover}"
        alive = still_running(pids)
        assert alive == [], f"processes left after stop: {alive}"


@pytest.fixture(scope="module", params=["client36", "client37"])
def generation(request) -> tuple[str, str]:
    """(id, interpreter): this one has the project's client (<= 36); the second the rewritten 37."""
    if request.param == "client36":
        return request.param, sys.executable
    if not K37:
        pytest.skip("AFSUITE_K8S37_PYTHON is not set: no interpreter with kubernetes 37 (`make test` sets it; "
                    "build it with `make .venv-k37/.installed`)")
    return request.param, K37


def run_phase(cluster: LocalCluster, python: str, phase: str, timeout: float) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KUBECONFIG=cluster.kubeconfig, KUBERNETES_CONTEXT=cluster.context)
    args = [python, str(SCRIPT), phase, cluster.namespace, cluster.state["deployment"], cluster.state["selector"]]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired as exc:  # subprocess.run has killed the script by then
        pytest.fail(f"{phase} under {python} ran over {timeout:g} s; stderr:\n{str(exc.stderr)[-3000:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def core(cluster, generation):
    return run_phase(cluster, generation[1], "core", timeout=200)


@pytest.fixture(scope="module")
def disruptive(cluster, generation):
    return run_phase(cluster, generation[1], "disruptive", timeout=240)


def section(results: dict[str, Any], name: str) -> dict[str, Any]:
    assert name in results, f"the script stopped before {name!r}:\n{results.get('aborted')}"
    return results[name]


def value(out: dict[str, Any]) -> Any:
    assert "value" in out, f"the activity raised {out.get('raised')}: {out.get('message')}"
    return out["value"]


def raised(out: dict[str, Any], kind: str = "ActivityFailed") -> str:
    assert out.get("raised") == kind, f"expected {kind}, got {out}"
    return str(out["message"])


def test_generation_and_steady_cluster(core, generation):
    major = int(core["client"].split(".")[0])
    if generation[0] == "client36":
        assert core["client"] == kubernetes.__version__ and major <= 36
    else:
        assert major == 37
    assert "aborted" not in core, core["aborted"]
    assert value(core["steady_before_s"]) is True and value(core["steady_at_end_s"]) is True


def test_list_and_get_every_served_kind(core):
    kinds = section(core, "kinds")
    expected = {"pods": "PodList", "nodes": "NodeList", "services": "ServiceList", "endpoints": "EndpointsList",
                "endpointslices": "EndpointSliceList", "events": "EventList", "events.k8s.io": "EventList",
                "namespaces": "NamespaceList", "deployments": "DeploymentList", "replicasets": "ReplicaSetList",
                "hpa": "HorizontalPodAutoscalerList", "pdb": "PodDisruptionBudgetList"}
    for kind, list_kind in expected.items():
        got = value(kinds[kind])
        assert got["kind"] == list_kind and got["names"], (kind, got)
        assert got["names"] == sorted(got["names"]), f"{kind}: a list is sorted by name"
        assert got["get"] == got["names"][0] and got["get_uid_matches"], (kind, got)
        assert got["all_namespaces"] is None or got["all_namespaces"] >= len(got["names"]), (kind, got)
    assert len(value(kinds["pods"])["names"]) == 3 and "agentflow" in value(kinds["namespaces"])["names"]
    details = value(kinds["details"])
    assert details["deployment_status_ready"] == details["scale_replicas"] == 3
    hpa = details["hpa"]
    assert (hpa["min"], hpa["max"], hpa["current"]) == (3, 20, 3), hpa
    # desiredReplicas keeps its old value (0) until the HPA's first metric-based decision, as upstream's does
    # while every pod is still in its CPU initialisation period (FailedGetResourceMetric)
    assert hpa["desired"] in (0, 3), hpa
    assert details["pdb"] == {"min_available": 2, "expected": 3, "current_healthy": 3, "allowed": 1}
    assert details["endpoint_ready_addresses"] == 3 and details["slice_ready"] == [True, True, True]
    assert details["events_k8s_io_all_have_event_time"] is True


def test_pod_probes(core):
    pods = section(core, "pod_probes")
    assert value(pods["pods_in_phase_running"]) is True
    assert "should be 'Pending'" in raised(pods["pods_in_phase_pending"])
    assert value(pods["pods_not_in_phase_pending"]) is True and value(pods["pods_not_in_phase_running"]) is False
    assert value(pods["count_pods"]) == value(pods["count_pods_running"]) == pods["typed_count"] == 3
    assert value(pods["count_min_pods_3"]) is True and value(pods["count_min_pods_4"]) is False
    assert value(pods["pods_in_conditions_ready"]) is True
    assert "does not match" in raised(pods["pods_in_conditions_not_ready"])
    assert value(pods["all_pods_healthy"]) is True
    for key in ("read_pod_logs", "read_pod_logs_last"):
        logs = value(pods[key])
        assert len(logs["pods"]) == 3 and all(n >= 1 for n in logs["lines"].values()), (key, logs)
        assert logs["all_timestamped"] is True, "timestamps=true: every line starts with an RFC3339Nano time"
    recent = value(pods["read_pod_logs_recent"])
    assert len(recent["pods"]) == 3 and set(recent["lines"].values()) == {0}, "sinceSeconds=2 was not honoured"


def test_node_probes(core):
    nodes = section(core, "node_probes")
    assert value(nodes["get_nodes"]) == nodes["typed_nodes"] and len(nodes["typed_nodes"]) >= 19
    assert value(nodes["get_nodes_kind"]) == "NodeList"
    assert value(nodes["get_nodes_zone_a"]) == nodes["typed_zone_a"] == [f"node-a{i}" for i in range(1, 8)]
    assert value(nodes["all_ready_to_schedule"]) is True
    assert value(nodes["verify_pid_pressure_false"]) is True and value(nodes["verify_ready_true"]) is True
    assert value(nodes["verify_ready_false"]) is False and value(nodes["nodes_must_be_healthy"]) is True


def test_deployment_probes_including_the_watch_based_ones(core):
    dep = section(core, "deployment_probes")
    assert value(dep["available_and_healthy"]) is True and value(dep["available_and_healthy_missing"]) is False
    assert value(dep["partially_available"]) is True
    assert value(dep["fully_available"]) is True and value(dep["fully_available_label"]) is True
    assert dep["fully_available"]["seconds"] < 3, "the watch's first ADDED event already shows 3/3 Ready"
    # the watch must stay open: the probe returns by the client's read timeout (2 s), not by a server close
    assert "failed to stop running within 2s" in raised(dep["not_fully_available_when_full"])
    assert 1.9 <= dep["not_fully_available_when_full"]["seconds"] < 10


def test_service_and_event_probes(core):
    svc = section(core, "service_events")
    assert value(svc["service_is_initialized"]) is True and value(svc["service_is_initialized_label"]) is True
    assert "not initialized" in raised(svc["service_missing"])
    events = value(svc["get_events"])
    assert events["kind"] == "EventList" and events["count"] >= 10 and events["event_time_set"] is True
    assert {"Scheduled", "Started", "SuccessfulCreate"} <= set(events["reasons"])
    limited = value(svc["get_events_limit_2"])
    assert limited["count"] == 2 and limited["continue"] is True and limited["event_time_set"] is True


def test_cordon_uncordon_and_drain_of_an_empty_node(core):
    c = section(core, "cordon")
    assert value(c["cordon"]) == [c["node"]] and value(c["uncordon"]) == [c["node"]]
    assert c["after_cordon"] == {"unschedulable": True, "taints": ["node.kubernetes.io/unschedulable:NoSchedule"]}
    assert value(c["ready_to_schedule_while_cordoned"]) is True  # the probe checks only the Ready condition
    assert c["after_uncordon"] == {"unschedulable": None, "taints": []}
    assert value(c["cordon_zone_c"]) == c["unschedulable_listed"] == c["typed_zone_c"] != []
    assert value(c["uncordon_zone_c"]) == c["typed_zone_c"] and c["unschedulable_after"] == []
    # a node without PDB-protected pods drains: cordoned, nothing to evict, returns at once
    assert value(c["drain_empty"]) == [c["empty_node"]] and c["drain_empty"]["seconds"] < 5
    assert c["after_drain_empty"]["unschedulable"] is True and value(c["uncordon_empty"]) == [c["empty_node"]]


def test_drain_raises_on_the_first_pdb_denial(core):
    t = section(core, "terminate")
    assert value(t["pdb_allowed_zero_after_s"]) is True  # one pod killed, its replacement not Ready yet
    message = raised(t["drain_pdb"])
    assert message.startswith(f"Failed to evict pod {t['drain_victim']['pod']}: ")
    status = json.loads(message.split(": ", 1)[1])
    assert status["code"] == 429 and status["reason"] == "TooManyRequests", status
    assert status["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert status["details"]["causes"] == [{"reason": "DisruptionBudget", "message": "The disruption budget "
                                            "agentflow needs 2 healthy pods and has 2 currently"}]
    assert t["drain_pdb"]["seconds"] < 5, "chaosk8s raises on the first denial, without retrying"
    assert t["drain_victim_after"] == {"same_uid": True, "terminating": False}
    assert value(t["drain_pdb_uncordon"]) == [t["drain_victim"]["node"]]


def test_terminate_pods_modes_and_the_fault_happened(core):
    t = section(core, "terminate")
    before = t["before"]
    names = sorted(before)
    assert len(names) == 3
    assert value(t["alphabetic"]) == [names[0]]  # grace_period=0
    assert value(t["not_fully_available"]) is True and t["not_fully_available"]["seconds"] < 10
    assert value(t["oldest"]) == [t["oldest_expected"]]  # mode percentage (1 % of 3 -> 1), default grace
    assert t["oldest_state"] == {"terminating": True, "grace": 60}, "default grace: Terminating, not gone"
    assert sorted(value(t["rand"])) == t["rand_candidates"] and len(t["rand_candidates"]) == 2
    killed = {names[0], *value(t["oldest"]), *value(t["rand"])}
    assert killed == set(names), "every original pod was targeted"
    # no pod available: the server omits availableReplicas, so chaosk8s's probe fails on None >= 1 (documented)
    assert value(t["no_pod_available"]) is True
    raised(t["partially_available_at_zero"], "TypeError")
    assert value(t["available_and_healthy_at_zero"]) is False
    # recovery through the watch-based probe: it had to wait for MODIFIED events
    assert value(t["fully_available_recovery"]) is True and t["fully_available_recovery"]["seconds"] > 1
    assert value(t["steady_after_s"]) is True and value(t["available_and_healthy_after"]) is True
    after = t["after"]
    assert len(after) == 3 and not set(after.values()) & set(before.values()), "the fault had no effect"


def test_delete_nodes(core, generation):
    d = section(core, "delete_nodes")
    if generation[0] == "client36":
        assert value(d["delete_nodes"]) == [d["node"]]
    else:  # documented: 37 types the DELETE's Status as `object`; chaosk8s reads `res.status` -> crash
        assert "'dict' object has no attribute 'status'" in raised(d["delete_nodes"], "AttributeError")
    assert d["node_after"] == 404 and d["nodes_after"] == d["nodes_before"] - 1  # deleted in both


@pytest.mark.slow
def test_drain_evicts_when_the_pdb_allows_it(disruptive):
    d = section(disruptive, "drain")
    assert d["pdb_allowed"] == 1
    assert value(d["drain"]) == [d["node"]], "the eviction was allowed (201) and the pod went"
    assert d["pods_left_on_node"] == [] and d["evicted_pod_listed"] == []
    assert value(d["uncordon"]) == [d["node"]] and value(d["steady_after_s"]) is True


@pytest.mark.slow
def test_scale_deployment_is_overridden_by_the_hpa(disruptive):
    s = section(disruptive, "scale")
    assert s["before"] == 3 and value(s["scale"]) is None
    # a watch from the list's resourceVersion sees the PATCH (2), then the HPA's minReplicas winning (3)
    assert s["replicas_seen"] in ([2, 3], [3, 2, 3]), s["replicas_seen"]  # [3, ..]: a status write came first
    assert s["restored_after_s"] < 10, "the HPA (sync every 3 s at time scale fast) restores minReplicas"
    assert value(s["rescale_event"]) is True  # "New size: 3; reason: Current number of replicas below ..."
    assert value(s["steady_after_s"]) is True


@pytest.mark.slow
def test_rollout_creates_a_replicaset_and_the_old_one_deletes(disruptive):
    r = section(disruptive, "rollout")
    assert value(r["rollout"]) is None and value(r["new_rs_after_s"]) is True
    assert r["new_rs"]["name"] not in r["replicasets_before"] and r["new_rs"]["restarted_at"]
    assert value(r["steady_after_s"]) is True
    assert r["pod_owners"] == [r["new_rs"]["name"]] and set(r["old_replicas"].values()) == {0}
    assert value(r["delete_replica_set"]) is None and value(r["deleted_rs_listed"]) == []
    assert r["serving_unchanged"] is True, "deleting the scaled-down ReplicaSet touched serving pods"
    assert "aborted" not in disruptive and value(disruptive["steady_at_end_s"]) is True
