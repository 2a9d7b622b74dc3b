"""InterPodAffinity filter and score cases transcribed from upstream kube-scheduler unit tests.

Source: kubernetes/kubernetes pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go
(TestRequiredAffinitySingleNode, TestRequiredAffinityMultipleNodes) and scoring_test.go (TestPreferredAffinity).
Each pytest id is "<Go test>/<case name>" (long names shortened with "..."); inputs and expected outcomes are
upstream's. A case upstream expects to be skipped at PreFilter ("Skip") passes the filter here. Left out: the
two "fails PreFilter with an invalid ... label syntax" cases (label-value validation belongs to the API server).
Expected values: "ok", or the reason string (all reasons here come from this plugin).
"""

from __future__ import annotations

import pytest
from test_sched_builders import Pod, expr, node

from localcluster.scheduler import inter_pod_affinity, interpod_scores, prefilter
from localcluster.scheduler.result import (
    ERR_AFFINITY_RULES as AFF,
)
from localcluster.scheduler.result import (
    ERR_ANTI_AFFINITY_RULES as ANTI,
)
from localcluster.scheduler.result import (
    ERR_EXISTING_ANTI_AFFINITY as EXIST,
)
from localcluster.scheduler.snapshot import build_snapshot

A, N = "podAffinity", "podAntiAffinity"
NAMESPACES = {
    "subteam1.team1": {"team": "team1"},
    "subteam2.team1": {"team": "team1"},
    "subteam1.team2": {"team": "team2"},
    "subteam2.team2": {"team": "team2"},
}
SEC = {"service": "securityscan"}
S1 = {"security": "S1"}
NODE1 = node("node1", {"region": "r1", "zone": "z11"})


def existing() -> dict:
    return Pod("existing").labels(SEC).node("node1").obj()


def term(selector_exprs: list[dict], topology: str, **extra: object) -> dict:
    return {"labelSelector": {"matchExpressions": selector_exprs}, "topologyKey": topology, **extra}


TEAM1 = {"matchExpressions": [expr("team", "In", ["team1"])]}
IN_SEC = [expr("service", "In", ["securityscan", "value2"])]

SINGLE = [
    ("A pod that has no required pod affinity scheduling rules can schedule onto a node with no existing pods",
     Pod("p"), [], "ok"),
    ("satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using In operator that "
     "matches the existing pod", Pod("p").labels(S1).affinity(A, "service", "In", "region", ["securityscan",
                                                                                             "value2"]),
     [existing()], "ok"),
    ("satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using not in "
     "operator in labelSelector that matches the existing pod",
     Pod("p").labels(S1).affinity(A, "service", "NotIn", "region", ["securityscan3", "value3"]), [existing()],
     "ok"),
    ("Does not satisfy the PodAffinity with labelSelector because of diff Namespace",
     Pod("p").labels(S1).term(A, term(IN_SEC, "", namespaces=["DiffNameSpace"])),
     [Pod("x").namespace("ns").label("service", "securityscan").node("node1").obj()], AFF),
    ("Doesn't satisfy the PodAffinity because of unmatching labelSelector with the existing pod",
     Pod("p").labels(SEC).affinity(A, "service", "In", "", ["antivirusscan", "value2"]), [existing()], AFF),
    ("satisfies the PodAffinity with different label Operators in multiple RequiredDuringScheduling...",
     Pod("p").labels(S1).term(A, term([expr("service", "Exists"), expr("wrongkey", "DoesNotExist")], "region"))
     .term(A, term([expr("service", "In", ["securityscan"]), expr("service", "NotIn", ["WrongValue"])], "region")),
     [existing()], "ok"),
    ("The labelSelector requirements(items of matchExpressions) are ANDed, the pod cannot schedule onto the "
     "node because one of the matchExpression item don't match.",
     Pod("p").labels(S1).term(A, term([expr("service", "Exists"), expr("wrongkey", "DoesNotExist")], "region"))
     .term(A, term([expr("service", "In", ["securityscan2"]), expr("service", "NotIn", ["WrongValue"])],
                   "region")), [existing()], AFF),
    ("satisfies the PodAffinity and PodAntiAffinity with the existing pod",
     Pod("p").labels(S1).affinity(A, "service", "In", "region", ["securityscan", "value2"])
     .affinity(N, "service", "In", "node", ["antivirusscan", "value2"]), [existing()], "ok"),
    ("satisfies the PodAffinity and PodAntiAffinity and PodAntiAffinity symmetry with the existing pod",
     Pod("p").labels(S1).affinity(A, "service", "In", "region", ["securityscan", "value2"])
     .affinity(N, "service", "In", "node", ["antivirusscan", "value2"]),
     [Pod("e").node("node1").labels(SEC).affinity(N, "service", "In", "node", ["antivirusscan", "value2"]).obj()],
     "ok"),
    ("satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing pod",
     Pod("p").labels(S1).affinity(A, "service", "In", "region", ["securityscan", "value2"])
     .affinity(N, "service", "In", "zone", ["securityscan", "value2"]), [existing()], ANTI),
    ("satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity symmetry with the "
     "existing pod", Pod("p").labels(SEC).affinity(A, "service", "In", "region", ["securityscan", "value2"])
     .affinity(N, "service", "In", "node", ["antivirusscan", "value2"]),
     [Pod("e").labels(SEC).node("node1").affinity(N, "service", "In", "zone", ["securityscan", "value2"]).obj()],
     EXIST),
    ("pod matches its own Label in PodAffinity and that matches the existing pod Labels",
     Pod("p").labels(SEC).affinity(A, "service", "NotIn", "region", ["securityscan", "value2"]),
     [Pod("e").label("service", "securityscan").node("node2").obj()], AFF),
    ("verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. "
     "doesn't satisfy PodAntiAffinity symmetry with the existing pod", Pod("p").labels(SEC),
     [Pod("e").node("node1").labels(SEC).affinity(N, "service", "In", "zone", ["securityscan", "value2"]).obj()],
     EXIST),
    ("verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. "
     "satisfy PodAntiAffinity symmetry with the existing pod", Pod("p").labels(SEC),
     [Pod("e").node("node1").labels(SEC).affinity(N, "service", "NotIn", "zone", ["securityscan", "value2"])
      .obj()], "ok"),
    ("satisfies the PodAntiAffinity with existing pod but doesn't satisfy PodAntiAffinity symmetry with "
     "incoming pod", Pod("p").labels(SEC).affinity(N, "service", "Exists", "region")
     .affinity(N, "security", "Exists", "region"),
     [Pod("e").node("node1").labels(S1).affinity(N, "security", "Exists", "zone").obj()], ANTI),
    ("PodAntiAffinity symmetry check a1: incoming pod and existing pod partially match each other on "
     "AffinityTerms", Pod("p").labels(SEC).affinity(N, "service", "Exists", "zone")
     .affinity(N, "security", "Exists", "zone"),
     [Pod("e").node("node1").labels(S1).affinity(N, "security", "Exists", "zone").obj()], ANTI),
    ("PodAntiAffinity symmetry check a2: incoming pod and existing pod partially match each other on "
     "AffinityTerms", Pod("p").labels(S1).affinity(N, "security", "Exists", "zone"),
     [Pod("e").node("node1").labels(SEC).affinity(N, "service", "Exists", "zone")
      .affinity(N, "security", "Exists", "zone").obj()], EXIST),
    ("PodAntiAffinity symmetry check b1: incoming pod and existing pod partially match each other on "
     "AffinityTerms", Pod("p").labels({"abc": "", "xyz": ""}).affinity(N, "abc", "Exists", "zone")
     .affinity(N, "def", "Exists", "zone"),
     [Pod("e").node("node1").labels({"def": "", "xyz": ""}).affinity(N, "abc", "Exists", "zone")
      .affinity(N, "def", "Exists", "zone").obj()], ANTI),
    ("PodAntiAffinity symmetry check b2: incoming pod and existing pod partially match each other on "
     "AffinityTerms", Pod("p").labels({"def": "", "xyz": ""}).affinity(N, "abc", "Exists", "zone")
     .affinity(N, "def", "Exists", "zone"),
     [Pod("e").node("node1").labels({"abc": "", "xyz": ""}).affinity(N, "abc", "Exists", "zone")
      .affinity(N, "def", "Exists", "zone").obj()], ANTI),
    ("affinity with NamespaceSelector", Pod("p").labels(S1).term(A, term(IN_SEC, "region",
                                                                          namespaceSelector=TEAM1)),
     [Pod("e").namespace("subteam1.team1").labels(SEC).node("node1").obj()], "ok"),
    ("affinity with non-matching NamespaceSelector",
     Pod("p").labels(S1).term(A, term(IN_SEC, "region", namespaceSelector=TEAM1)),
     [Pod("e").namespace("subteam1.team2").labels(SEC).node("node1").obj()], AFF),
    ("anti-affinity with matching NamespaceSelector",
     Pod("p").namespace("subteam1.team1").labels(S1).term(N, term(IN_SEC, "zone", namespaceSelector=TEAM1)),
     [Pod("e").namespace("subteam2.team1").labels(SEC).node("node1").obj()], ANTI),
    ("anti-affinity with matching all NamespaceSelector",
     Pod("p").namespace("subteam1.team1").labels(S1).term(N, term(IN_SEC, "zone", namespaceSelector={})),
     [Pod("e").namespace("subteam2.team1").labels(SEC).node("node1").obj()], ANTI),
    ("anti-affinity with non-matching NamespaceSelector",
     Pod("p").namespace("subteam1.team1").labels(S1).term(N, term(IN_SEC, "zone", namespaceSelector=TEAM1)),
     [Pod("e").namespace("subteam1.team2").labels(SEC).node("node1").obj()], "ok"),
]


@pytest.mark.parametrize(
    ("pod", "pods", "want"), [pytest.param(*c[1:], id=f"TestRequiredAffinitySingleNode/{c[0]}") for c in SINGLE]
)
def test_upstream_required_affinity_single_node(pod, pods, want) -> None:
    p = pod.obj()
    result = inter_pod_affinity(p, NODE1, prefilter(p, [NODE1], pods, namespace_labels=NAMESPACES))
    assert ("ok" if result.ok else result.reason) == want


CHINA, CHINA_AZ1, INDIA = {"region": "China"}, {"region": "China", "az": "az1"}, {"region": "India"}


def rzh(name: str, region: str = "r1", zone: str = "z1") -> dict:
    return node(name, {"region": region, "zone": zone, "hostname": name})


def e(name: str, on: str, labels: dict | None = None) -> Pod:
    return Pod(name).node(on).labels(labels or {})


AB_SAME = [rzh("nodeA"), rzh("nodeB")]
AB_ZONES = [rzh("nodeA"), rzh("nodeB", zone="z2")]
FOO_BAR = {"foo": "", "bar": ""}

MULTI = [
    ("A pod can be scheduled onto all the nodes that have the same topology key & label value with one of "
     "them has an existing pod that matches the affinity rules", Pod("p").affinity(A, "foo", "In", "region",
                                                                                   ["bar"]),
     [e("p1", "node1", {"foo": "bar"}).obj()],
     [node("node1", CHINA), node("node2", CHINA_AZ1), node("node3", INDIA)], ["ok", "ok", AFF]),
    ("The affinity rule is to schedule all of the pods of this collection to the same zone. The first pod of "
     "the collection should not be blocked from being scheduled onto any node, even there's no existing pod "
     "that matches the rule anywhere.", Pod("p").labels({"foo": "bar", "service": "securityscan"})
     .affinity(A, "foo", "In", "zone", ["bar"]).affinity(A, "service", "In", "zone", ["securityscan"]),
     [e("p1", "nodeA", {"foo": "bar"}).obj()],
     [node("nodeA", {"zone": "az1", "hostname": "h1"}), node("nodeB", {"zone": "az2", "hostname": "h2"})],
     ["ok", "ok"]),
    ("The first pod of the collection can only be scheduled on nodes labelled with the requested topology keys",
     Pod("p").labels({"foo": "bar", "service": "securityscan"}).affinity(A, "foo", "In", "zone", ["bar"])
     .affinity(A, "service", "In", "zone", ["securityscan"]), [e("p1", "nodeA", {"foo": "bar"}).obj()],
     [node("nodeA", {"zoneLabel": "az1", "hostname": "h1"}), node("nodeB", {"zoneLabel": "az2", "hostname": "h2"})],
     [AFF, AFF]),
    ("NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter "
     "pod affinity rule. The pod can not be scheduled onto nodeA and nodeB.",
     Pod("p").affinity(N, "foo", "In", "region", ["abc"]), [e("x", "nodeA", {"foo": "abc"}).obj()],
     [node("nodeA", {"region": "r1", "hostname": "nodeA"}), node("nodeB", {"region": "r1", "hostname": "nodeB"})],
     [ANTI, ANTI]),
    ("This test ensures that anti-affinity matches a pod when any term of the anti-affinity rule matches a pod.",
     Pod("p").affinity(N, "foo", "In", "region", ["abc"]).affinity(N, "service", "In", "zone", ["securityscan"]),
     [e("x", "nodeA", {"foo": "abc", "service": "securityscan"}).obj()],
     [rzh("nodeA"), rzh("nodeB", zone="z2")], [ANTI, ANTI]),
    ("NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter "
     "pod affinity rule. The pod can not be scheduled onto nodeA and nodeB but can be scheduled onto nodeC",
     Pod("p").affinity(N, "foo", "In", "region", ["abc"]), [e("x", "nodeA", {"foo": "abc"}).obj()],
     [node("nodeA", CHINA), node("nodeB", CHINA_AZ1), node("nodeC", INDIA)], [ANTI, ANTI, "ok"]),
    ("NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter "
     "pod affinity rule. The pod can not be scheduled onto nodeA, nodeB, but can be scheduled onto nodeC "
     "(NodeC has an existing pod that match the inter pod affinity rule but in different namespace)",
     Pod("p").namespace("NS1").labels({"foo": "123"}).affinity(N, "foo", "In", "region", ["bar"]),
     [e("x", "nodeA", {"foo": "bar"}).namespace("NS1").obj(),
      Pod("y").node("nodeC").namespace("NS2").affinity(N, "foo", "In", "region", ["123"]).obj()],
     [node("nodeA", CHINA), node("nodeB", CHINA_AZ1), node("nodeC", INDIA)], [ANTI, ANTI, "ok"]),
    ("Test existing pod's anti-affinity: if an existing pod has a term with invalid topologyKey, labelSelector "
     "of the term is firstly checked, and then topologyKey of the term is also checked", Pod("p").label("foo"),
     [Pod("x").node("nodeA").affinity(N, "foo", "Exists", "invalid-node-label").obj()], AB_SAME, ["ok", "ok"]),
    ("Test incoming pod's anti-affinity: even if labelSelector matches, we still check if topologyKey matches",
     Pod("p").node("nodeA").affinity(N, "foo", "Exists", "invalid-node-label"),
     [e("x", "nodeA", {"foo": ""}).obj()], AB_SAME, ["ok", "ok"]),
    ("Test existing pod's anti-affinity: incoming pod wouldn't considered as a fit as it violates each "
     "existingPod's terms on all nodes", Pod("p").labels(FOO_BAR),
     [Pod("x").node("nodeA").affinity(N, "foo", "Exists", "zone").obj(),
      Pod("y").node("nodeA").affinity(N, "bar", "Exists", "region").obj()], AB_ZONES, [EXIST, EXIST]),
    ("Test incoming pod's anti-affinity: incoming pod wouldn't considered as a fit as it at least violates one "
     "anti-affinity rule of existingPod", Pod("p").affinity(N, "foo", "Exists", "zone")
     .affinity(N, "bar", "Exists", "region"),
     [e("x", "nodeA", {"foo": ""}).obj(), e("y", "nodeB", {"bar": ""}).obj()], AB_ZONES, [ANTI, ANTI]),
    ("Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a "
     "single term match - case when one term has invalid topologyKey", Pod("p").labels(FOO_BAR),
     [Pod("x").node("nodeA").affinity(N, "foo", "Exists", "invalid-node-label")
      .affinity(N, "bar", "Exists", "zone").obj()], AB_ZONES, [EXIST, "ok"]),
    ("Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a "
     "single term match - case when one term has invalid topologyKey",
     Pod("p").affinity(N, "foo", "Exists", "invalid-node-label").affinity(N, "bar", "Exists", "zone"),
     [e("podA", "nodeA", FOO_BAR).obj()], AB_ZONES, [ANTI, "ok"]),
    ("Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a "
     "single term match - case when all terms have valid topologyKey", Pod("p").labels(FOO_BAR),
     [Pod("x").node("nodeA").affinity(N, "foo", "Exists", "region").affinity(N, "bar", "Exists", "zone").obj()],
     AB_ZONES, [EXIST, EXIST]),
    ("Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a "
     "single term match - case when all terms have valid topologyKey",
     Pod("p").affinity(N, "foo", "Exists", "region").affinity(N, "bar", "Exists", "zone"),
     [e("x", "nodeA", FOO_BAR).obj()], AB_ZONES, [ANTI, ANTI]),
    ("Test existing pod's anti-affinity: existingPod on nodeA and nodeB has at least one anti-affinity term "
     "matches incoming pod, so incoming pod can only be scheduled to nodeC", Pod("p").labels(FOO_BAR),
     [Pod("x").node("nodeA").affinity(N, "foo", "Exists", "zone").affinity(N, "labelA", "Exists", "zone").obj(),
      Pod("y").node("nodeB").affinity(N, "bar", "Exists", "zone").affinity(N, "labelB", "Exists", "zone").obj()],
     [rzh("nodeA"), rzh("nodeB", zone="z2"), rzh("nodeC", zone="z3")], [EXIST, EXIST, "ok"]),
    ("Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all "
     "topologyKeys match", Pod("p").affinity(A, "foo", "Exists", "region").affinity(A, "bar", "Exists", "zone"),
     [e("pod1", "nodeA", FOO_BAR).obj()], AB_SAME, ["ok", "ok"]),
    ("Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all "
     "topologyKeys match, and the match logic should be satisfied on the same pod",
     Pod("p").affinity(A, "foo", "Exists", "region").affinity(A, "bar", "Exists", "zone"),
     [e("pod1", "nodeA", {"foo": ""}).obj(), e("pod2", "nodeB", {"bar": ""}).obj()], AB_ZONES, [AFF, AFF]),
]


@pytest.mark.parametrize(
    ("pod", "pods", "nodes", "want"),
    [pytest.param(*c[1:], id=f"TestRequiredAffinityMultipleNodes/{c[0][:150]}") for c in MULTI],
)
def test_upstream_required_affinity_multiple_nodes(pod, pods, nodes, want) -> None:
    p = pod.obj()
    state = prefilter(p, nodes, pods)
    got = [(lambda r: "ok" if r.ok else r.reason)(inter_pod_affinity(p, n, state)) for n in nodes]
    assert got == want


S2 = {"security": "S2"}
STAY_S1 = term([expr("security", "In", ["S1"])], "region")
STAY_S2 = term([expr("security", "In", ["S2"])], "region")

PREFERRED = [
    ("Affinity: pod that matches topology key & pods in nodes will get high score comparing to others which "
     "doesn't match either pods in nodes or in topology key", Pod("p").labels(S1).term(A, STAY_S1, weight=5),
     [e("a", "node1", S1).obj(), e("b", "node2", S2).obj(), e("c", "node3", S1).obj()],
     [node("node1", CHINA), node("node2", INDIA), node("node3", {"az": "az1"})],
     {"node1": 100, "node2": 0, "node3": 0}),
    ("All the nodes that have the same topology key & label value with one of them has an existing pod that "
     "match the affinity rules, have the same score", Pod("p").term(A, STAY_S1, weight=5),
     [e("a", "node1", S1).obj()], [node("node1", CHINA), node("node2", CHINA_AZ1), node("node3", INDIA)],
     {"node1": 100, "node2": 100, "node3": 0}),
    ("Affinity: nodes in one region has more matching pods comparing to other region, so the region which has "
     "more matches will get high score", Pod("p").labels(S1).term(A, STAY_S2, weight=6),
     [e(f"s{i}", n, S2).obj() for i, n in enumerate(["node1", "node1", "node2", "node3", "node4", "node5"])],
     [node("node1", CHINA), node("node2", INDIA), node("node3", CHINA), node("node4", CHINA),
      node("node5", INDIA)], {"node1": 100, "node2": 0, "node3": 100, "node4": 100, "node5": 0}),
]


@pytest.mark.parametrize(
    ("pod", "pods", "nodes", "want"),
    [pytest.param(*c[1:], id=f"TestPreferredAffinity/{c[0]}") for c in PREFERRED],
)
def test_upstream_preferred_affinity_score(pod, pods, nodes, want) -> None:
    snap = build_snapshot(nodes, pods)
    assert interpod_scores(pod.obj(), [snap.get(n) for n in nodes], snap) == want
