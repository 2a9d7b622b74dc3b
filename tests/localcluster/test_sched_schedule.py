"""schedule() end to end, quantities, requests, scoring preferences and FailedScheduling messages."""

from __future__ import annotations

import pytest
from test_sched_builders import HOSTNAME, ZONE, Pod, node

from localcluster.scheduler import (
    SchedulerConfig,
    prefilter,
    schedule,
)
from localcluster.scheduler.objects import pod_requests
from localcluster.scheduler.scoring import balanced_allocation_score, least_allocated_score
from localcluster.scheduler.snapshot import build_snapshot

Mi, Gi = 2**20, 2**30


def test_pod_requests_max_of_init_and_sum_with_sidecars_overhead_and_limit_defaulting() -> None:
    pod = Pod("p").obj()
    pod["spec"]["containers"] = [
        {"name": "a", "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "1", "memory": "1Gi"}}},
        {"name": "b", "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}}},
    ]
    pod["spec"]["initContainers"] = [
        {"name": "sidecar", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
        {"name": "init", "resources": {"requests": {"cpu": "2", "memory": "64Mi"}}},
    ]
    pod["spec"]["overhead"] = {"cpu": "10m"}
    # containers 300m + sidecar 50m = 350m; init peak = 2000m + 50m (sidecar already running) = 2050m
    assert pod_requests(pod) == {"cpu": 2050 + 10, "memory": 1 * Gi + 256 * Mi}
    empty = Pod("e").obj()
    assert pod_requests(empty) == {}
    assert pod_requests(empty, non_zero=True) == {"cpu": 100, "memory": 200 * Mi}


def zone_nodes(*specs: tuple[str, str, bool]) -> list[dict]:
    return [node(n, {HOSTNAME: n, ZONE: z}, unschedulable=c) for n, z, c in specs]


def bound(name: str, on: str, **labels: str) -> dict:
    return Pod(name).labels(labels).node(on).obj()


def test_schedule_anyway_never_blocks_and_prefers_emptier_zone() -> None:
    pod = Pod("new").label("app", "x").spread(1, ZONE, "ScheduleAnyway", {"matchLabels": {"app": "x"}}).obj()
    existing = [bound(f"x{i}", "a1", app="x") for i in range(5)]
    only_a = zone_nodes(("a1", "za", False), ("b1", "zb", True), ("c1", "zc", True))
    assert schedule(pod, only_a, existing).node_name == "a1"
    open_b = zone_nodes(("a1", "za", False), ("b1", "zb", False), ("c1", "zc", True))
    result = schedule(pod, open_b, existing)
    assert result.node_name == "b1" and result.scores["b1"] > result.scores["a1"]


def test_do_not_schedule_blocks_where_schedule_anyway_does_not() -> None:
    nodes = zone_nodes(("a1", "za", False), ("b1", "zb", True))
    existing = [bound("x0", "a1", app="x"), bound("x1", "b1", app="x"), bound("x2", "a1", app="x")]
    selector = {"matchLabels": {"app": "x"}}
    hard = Pod("h").label("app", "x").spread(1, ZONE, "DoNotSchedule", selector).obj()
    result = schedule(hard, nodes, existing)
    assert result.node_name is None
    assert result.reasons == {"a1": ("node(s) didn't match pod topology spread constraints",),
                              "b1": ("node(s) were unschedulable",)}
    soft = Pod("s").label("app", "x").spread(1, ZONE, "ScheduleAnyway", selector).obj()
    assert schedule(soft, nodes, existing).node_name == "a1"


def test_preferred_anti_affinity_spreads_then_colocates() -> None:
    nodes = [node(f"n{i}", {HOSTNAME: f"n{i}"}) for i in range(3)]
    term = {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": HOSTNAME}
    pods: list[dict] = []
    placed = []
    for i in range(5):
        pod = Pod(f"web-{i}").label("app", "web").requests({"cpu": "100m", "memory": "64Mi"})
        pod = pod.term("podAntiAffinity", term, weight=100).obj()
        result = schedule(pod, nodes, pods)
        assert result.node_name is not None, result.message
        pod["spec"]["nodeName"] = result.node_name
        pods.append(pod)
        placed.append(result.node_name)
    assert sorted(placed[:3]) == ["n0", "n1", "n2"]
    assert len(placed) == 5 and max(placed.count(n) for n in ("n0", "n1", "n2")) == 2


@pytest.mark.parametrize(
    ("ready", "generic", "reason"),
    [("False", False, "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"),
     ("Unknown", False, "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"),
     ("False", True, "node(s) had untolerated taint(s)")],
)
def test_not_ready_nodes_fail_through_condition_taints(ready, generic, reason) -> None:
    nodes = [node("sick", ready=ready), node("ok", ready="True")]
    pod = Pod("p").obj()
    cfg = SchedulerConfig(generic_taint_reason=generic)
    assert schedule(pod, nodes, [], config=cfg).node_name == "ok"
    result = schedule(pod, nodes[:1], [], config=cfg)
    assert result.message == (f"0/1 nodes are available: 1 {reason}. preemption: 0/1 nodes are available: "
                              "1 Preemption is not helpful for scheduling.")


def test_unschedulable_taint_without_cordon_flag_reports_the_taint() -> None:
    n = node("n", taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}])
    result = schedule(Pod("p").obj(), [n], [])
    assert result.reasons == {"n": ("node(s) had untolerated taint {node.kubernetes.io/unschedulable: }",)}


def test_insufficient_cpu_and_preemption() -> None:
    nodes = [node("n1", allocatable={"cpu": "1", "memory": "1Gi", "pods": "10"})]
    low = Pod("low").priority(0).requests({"cpu": "800m"}).node("n1").obj()
    pod = Pod("p").priority(1000).requests({"cpu": "500m"}).obj()
    result = schedule(pod, nodes, [low])
    assert result.node_name is None and result.preemption_candidates == ("n1",)
    assert result.message == "0/1 nodes are available: 1 Insufficient cpu."
    equal = Pod("q").priority(0).requests({"cpu": "500m"}).obj()
    assert schedule(equal, nodes, [low]).message == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 No preemption victims found for incoming pod."
    )
    never = Pod("r").priority(1000).set("preemptionPolicy", "Never").requests({"cpu": "500m"}).obj()
    assert schedule(never, nodes, [low]).message == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
    )
    assert schedule(pod, nodes, [], config=SchedulerConfig(preemption_message=False)).node_name == "n1"


def test_terminal_pods_free_resources_but_terminating_pods_still_hold_them() -> None:
    nodes = [node("n1", allocatable={"cpu": "1", "memory": "1Gi", "pods": "10"})]
    pod = Pod("p").requests({"cpu": "600m"}).obj()
    done = Pod("done").requests({"cpu": "800m"}).node("n1").phase("Succeeded").obj()
    assert schedule(pod, nodes, [done]).node_name == "n1"
    leaving = Pod("leaving").requests({"cpu": "800m"}).node("n1").terminating().obj()
    assert schedule(pod, nodes, [leaving]).node_name is None


def test_resource_scores_follow_upstream_formulas() -> None:
    nodes = [node("n1", allocatable={"cpu": "4", "memory": "8Gi", "pods": "110"})]
    used = Pod("u").requests({"cpu": "1", "memory": "2Gi"}).node("n1").obj()
    snap = build_snapshot(nodes, [used])
    info = snap.get("n1")
    pod = Pod("p").requests({"cpu": "1", "memory": "1Gi"}).obj()
    # cpu (4-2)/4 -> 50, memory (8-3)/8 -> 62; mean 56
    assert least_allocated_score(pod_requests(pod, non_zero=True), info) == 56
    # fractions 0.5 and 0.375 -> std 0.0625 -> 93
    assert balanced_allocation_score(pod_requests(pod), info) == 93


def test_node_name_node_selector_and_other_reasons() -> None:
    nodes = [node("a", {"disk": "ssd"}), node("b", {"disk": "hdd"})]
    assert schedule(Pod("p").set("nodeName", "b").obj(), nodes, []).node_name == "b"
    picky = Pod("p").node_selector({"disk": "nvme"}).obj()
    assert schedule(picky, nodes, []).message.startswith(
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
    )
    full = [node("c", allocatable={"cpu": "1", "memory": "1Gi", "pods": "1"})]
    occupant = Pod("o").node("c").obj()
    assert schedule(Pod("p").obj(), full, [occupant]).reasons == {"c": ("Too many pods",)}


def test_edge_cases_give_clear_messages() -> None:
    assert schedule(Pod("p").obj(), [], []).message == "no nodes available to schedule pods"
    bad = Pod("p").requests({"cpu": "lots"}).obj()
    message = schedule(bad, [node("n")], []).message
    assert "containers[0].resources.cpu" in message and "'lots'" in message
    with pytest.raises(KeyError, match="not in the scheduling snapshot"):
        prefilter(Pod("p").obj(), [node("n")], []).snapshot.get("missing")
