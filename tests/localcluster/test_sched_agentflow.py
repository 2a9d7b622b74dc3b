"""AgentFlow production placement on 21 nodes (3 zones x 7), scheduling replicas one by one.

Production settings (docs/agentflow.md): requests 500m/512Mi, required pod anti-affinity on
kubernetes.io/hostname and a zone topologySpreadConstraint maxSkew 1 DoNotSchedule, both selecting
app.kubernetes.io/name=agentflow.

Upstream semantics of a cordoned zone (defaults nodeAffinityPolicy=Honor, nodeTaintsPolicy=Ignore): cordoned
nodes keep the zone label and pass the inclusion policies, so the cordoned zone STAYS a spread domain and its
matching pods keep counting towards the global minimum. Consequences pinned below:
- cordon without drain (zone-c keeps its pods): the other zones may grow to count(zone-c) + maxSkew, then new
  replicas stay Pending with "didn't match pod topology spread constraints";
- cordon and drain (zone-c drops to 0): the global minimum is 0, so a zone that already has a replica rejects
  any more; the evicted replicas cannot be recreated elsewhere;
- nodeTaintsPolicy: Honor drops the cordoned zone (its nodes carry the untolerated unschedulable taint): pods
  alternate between the two remaining zones with skew <= 1.
"""

from __future__ import annotations

from collections import Counter

import pytest
from test_sched_builders import HOSTNAME, ZONE, Pod, node

from localcluster.scheduler import schedule

APP = {"app.kubernetes.io/name": "agentflow"}
SELECTOR = {"matchLabels": dict(APP)}
ZONES = ("zone-a", "zone-b", "zone-c")


def cluster(cordoned_zone: str | None = None, cordoned: tuple[str, ...] = ()) -> list[dict]:
    nodes = []
    for zone in ZONES:
        for i in range(1, 8):
            name = f"{zone}-n{i}"
            nodes.append(
                node(name, {HOSTNAME: name, ZONE: zone}, ready="True",
                     unschedulable=zone == cordoned_zone or name in cordoned,
                     allocatable={"cpu": "4", "memory": "16Gi", "pods": "110"})
            )
    return nodes


def replica(i: int, taints_policy: str | None = None) -> dict:
    extra = {"nodeTaintsPolicy": taints_policy} if taints_policy else {}
    return (
        Pod(f"agentflow-{i:02d}")
        .labels(APP)
        .requests({"cpu": "500m", "memory": "512Mi"})
        .term("podAntiAffinity", {"labelSelector": dict(SELECTOR), "topologyKey": HOSTNAME})
        .spread(1, ZONE, "DoNotSchedule", SELECTOR, **extra)
        .obj()
    )


def place(pods: list[dict], nodes: list[dict], count: int, start: int = 0, taints_policy: str | None = None):
    """Schedule `count` new replicas one by one, binding each success; return the failed results."""
    failures = []
    for i in range(start, start + count):
        pod = replica(i, taints_policy)
        result = schedule(pod, nodes, pods)
        if result.node_name is None:
            failures.append(result)
            continue
        pod["spec"]["nodeName"] = result.node_name
        pod["status"]["phase"] = "Running"
        pods.append(pod)
    return failures


def zone_counts(pods: list[dict], nodes: list[dict]) -> Counter:
    zone_of = {n["metadata"]["name"]: n["metadata"]["labels"][ZONE] for n in nodes}
    return Counter(zone_of[p["spec"]["nodeName"]] for p in pods)


def test_22_replicas_on_21_nodes_leave_exactly_one_pending() -> None:
    nodes, pods = cluster(), []
    failures = place(pods, nodes, 22)
    assert len(pods) == 21 and len(failures) == 1
    assert len({p["spec"]["nodeName"] for p in pods}) == 21
    assert zone_counts(pods, nodes) == {"zone-a": 7, "zone-b": 7, "zone-c": 7}
    assert failures[0].message == (
        "0/21 nodes are available: 21 node(s) didn't match pod anti-affinity rules. "
        "preemption: 0/21 nodes are available: 21 No preemption victims found for incoming pod."
    )


def test_three_cordoned_nodes_message_counts_reasons_like_upstream() -> None:
    nodes = cluster(cordoned=("zone-a-n7", "zone-b-n7", "zone-c-n7"))
    pods: list[dict] = []
    failures = place(pods, nodes, 19)
    assert len(pods) == 18 and len(failures) == 1
    # upstream sorts the "<count> <reason>" strings as strings: "18 ..." comes before "3 ...".
    assert failures[0].message == (
        "0/21 nodes are available: 18 node(s) didn't match pod anti-affinity rules, 3 node(s) were unschedulable. "
        "preemption: 0/21 nodes are available: 18 No preemption victims found for incoming pod, "
        "3 Preemption is not helpful for scheduling."
    )
    assert failures[0].reasons["zone-b-n7"] == ("node(s) were unschedulable",)


def test_spreading_keeps_zone_skew_at_most_one_at_every_step() -> None:
    nodes, pods = cluster(), []
    for i in range(21):
        assert not place(pods, nodes, 1, start=i)
        counts = zone_counts(pods, nodes)
        assert max(counts.get(z, 0) for z in ZONES) - min(counts.get(z, 0) for z in ZONES) <= 1


def _cordon_zone_c(nodes: list[dict]) -> list[dict]:
    for n in nodes:
        if n["metadata"]["labels"][ZONE] == "zone-c":
            n["spec"]["unschedulable"] = True
    return nodes


def test_cordoned_zone_without_drain_caps_other_zones_at_its_count_plus_max_skew() -> None:
    nodes, pods = cluster(), []
    assert not place(pods, nodes, 3)
    assert zone_counts(pods, nodes) == {"zone-a": 1, "zone-b": 1, "zone-c": 1}
    _cordon_zone_c(nodes)
    failures = place(pods, nodes, 4, start=3)
    counts = zone_counts(pods, nodes)
    assert counts == {"zone-a": 2, "zone-b": 2, "zone-c": 1}
    assert len(failures) == 2
    assert failures[0].message == (
        "0/21 nodes are available: 14 node(s) didn't match pod topology spread constraints, "
        "7 node(s) were unschedulable. preemption: 0/21 nodes are available: "
        "14 No preemption victims found for incoming pod, 7 Preemption is not helpful for scheduling."
    )


def test_cordoned_and_drained_zone_blocks_replacements_with_default_policy() -> None:
    nodes, pods = cluster(), []
    assert not place(pods, nodes, 3)
    _cordon_zone_c(nodes)
    pods = [p for p in pods if not p["spec"]["nodeName"].startswith("zone-c")]  # drained
    failures = place(pods, nodes, 1, start=3)
    assert len(failures) == 1 and zone_counts(pods, nodes) == {"zone-a": 1, "zone-b": 1}
    assert "14 node(s) didn't match pod topology spread constraints" in failures[0].message


def test_cordoned_zone_with_taints_policy_honor_is_not_a_domain() -> None:
    nodes, pods = cluster(), []
    assert not place(pods, nodes, 3, taints_policy="Honor")
    _cordon_zone_c(nodes)
    pods = [p for p in pods if not p["spec"]["nodeName"].startswith("zone-c")]
    for i in range(3, 15):
        assert not place(pods, nodes, 1, start=i, taints_policy="Honor")
        counts = zone_counts(pods, nodes)
        assert counts.get("zone-c", 0) == 0
        assert abs(counts["zone-a"] - counts.get("zone-b", 0)) <= 1
    assert zone_counts(pods, nodes) == {"zone-a": 7, "zone-b": 7}
    failures = place(pods, nodes, 1, start=15, taints_policy="Honor")
    assert failures and "14 node(s) didn't match pod anti-affinity rules" in failures[0].message


@pytest.mark.parametrize("seed", [1, 2])
def test_random_tie_break_is_reproducible(seed: int) -> None:
    import random

    from localcluster.scheduler import SchedulerConfig

    def run() -> list[str]:
        cfg = SchedulerConfig(tie_break="random", rng=random.Random(seed))
        nodes, pods, out = cluster(), [], []
        for i in range(6):
            pod = replica(i)
            res = schedule(pod, nodes, pods, config=cfg)
            pod["spec"]["nodeName"] = res.node_name
            pods.append(pod)
            out.append(res.node_name)
        return out

    assert run() == run()
