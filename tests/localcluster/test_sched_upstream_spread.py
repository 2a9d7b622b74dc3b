"""PodTopologySpread filter and score cases transcribed from upstream kube-scheduler unit tests.

Source: kubernetes/kubernetes pkg/scheduler/framework/plugins/podtopologyspread/filtering_test.go
(TestSingleConstraint, TestMultipleConstraints; every case runs with the NodeInclusionPolicy feature on, its
GA behaviour) and scoring_test.go (TestPodTopologySpreadScore). Each pytest id is "<Go test>/<case name>";
inputs and expected per-node outcomes are upstream's. As upstream, only this plugin runs: nodes that the
NodeAffinity/TaintToleration plugins would reject still show the spread plugin's own verdict.
Codes: ok = Success, U = Unschedulable, UU = UnschedulableAndUnresolvable.
"""

from __future__ import annotations

import pytest
from test_sched_builders import BAR, FOO, HOSTNAME, UNSCHEDULABLE_TAINT, Pod, node

from localcluster.scheduler import pod_topology_spread, prefilter, spread_scores
from localcluster.scheduler.snapshot import build_snapshot

DNS = "DoNotSchedule"
SA = "ScheduleAnyway"


def zn(name: str, zone: str | None = None, **extra: str) -> dict:
    labels = {"node": name} if zone is None else {"zone": zone, "node": name}
    labels.update(extra)
    return node(name, labels)


def four() -> list[dict]:
    return [zn("node-a", "zone1"), zn("node-b", "zone1"), zn("node-x", "zone2"), zn("node-y", "zone2")]


def ep(name: str, on: str, *labels: str, ns: str | None = None) -> dict:
    b = Pod(name).node(on)
    for lab in labels:
        b.label(lab)
    if ns:
        b.namespace(ns)
    return b.obj()


SPREAD_2103 = [ep("p-a1", "node-a", "foo"), ep("p-a2", "node-a", "foo"), ep("p-b1", "node-b", "foo"),
               ep("p-y1", "node-y", "foo"), ep("p-y2", "node-y", "foo"), ep("p-y3", "node-y", "foo")]
P_221 = [ep("p-a1", "node-a", "foo"), ep("p-a2", "node-a", "foo"), ep("p-b1", "node-b", "foo"),
         ep("p-b2", "node-b", "foo"), ep("p-c1", "node-c", "foo")]
P_21_ZONE = [ep("p-b1", "node-a", "foo"), ep("p-b2", "node-b", "foo"), ep("p-y1", "node-y", "foo")]
ABC = [node("node-a", {"node": "node-a"}), node("node-b", {"node": "node-b"}), node("node-c", {"node": "node-c"})]


def policy_nodes(taint_y: bool = False) -> list[dict]:
    y = node("node-y", {"node": "node-y"}, taints=[UNSCHEDULABLE_TAINT] if taint_y else None)
    return [node("node-a", {"node": "node-a", "foo": ""}), node("node-b", {"node": "node-b", "foo": ""}),
            node("node-x", {"node": "node-x", "foo": ""}), y]


def codes(a: str, b: str, x: str, y: str) -> dict[str, str]:
    return {"node-a": a, "node-b": b, "node-x": x, "node-y": y}


SINGLE = [
    ("no existing pods", Pod("p").label("foo").spread(1, "zone", DNS, FOO), four(), [], codes("ok", "ok", "ok", "ok")),
    ("no existing pods, incoming pod doesn't match itself", Pod("p").label("foo").spread(1, "zone", DNS, BAR),
     four(), [], codes("ok", "ok", "ok", "ok")),
    ("existing pods in a different namespace do not count", Pod("p").label("foo").spread(1, "zone", DNS, FOO),
     four(), [ep("p-a1", "node-a", "foo", ns="ns1"), ep("p-b1", "node-a", "foo", ns="ns2"),
              ep("p-x1", "node-x", "foo"), ep("p-y1", "node-y", "foo")], codes("ok", "ok", "U", "U")),
    ("existing pods do not match null selector", Pod("p").label("foo").spread(1, "zone", DNS, None), four(),
     [ep("p-x1", "node-x", "foo"), ep("p-y1", "node-y", "foo")], codes("ok", "ok", "ok", "ok")),
    ("pods spread across zones as 3/3, all nodes fit", Pod("p").label("foo").spread(1, "zone", DNS, FOO), four(),
     SPREAD_2103, codes("ok", "ok", "ok", "ok")),
    ("pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
     Pod("p").label("foo").spread(1, "zone", DNS, FOO),
     [zn("node-a", "zone1"), node("node-b", {"zon": "zone1", "node": "node-b"}), zn("node-x", "zone2"),
      zn("node-y", "zone2")],
     [ep("p-a1", "node-a", "foo"), ep("p-b1", "node-b", "foo"), ep("p-x1", "node-x", "foo"),
      ep("p-y1", "node-y", "foo")], codes("ok", "UU", "U", "U")),
    ("pod cannot be scheduled as all nodes don't have label 'rack'",
     Pod("p").label("foo").spread(1, "rack", DNS, FOO), [zn("node-a", "zone1"), zn("node-x", "zone2")], [],
     {"node-a": "UU", "node-x": "UU"}),
    ("pods spread across nodes as 2/1/0/3, only node-x fits", Pod("p").label("foo").spread(1, "node", DNS, FOO),
     four(), SPREAD_2103, codes("U", "U", "ok", "U")),
    ("pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
     Pod("p").label("foo").spread(2, "node", DNS, FOO), four(), SPREAD_2103, codes("U", "ok", "ok", "U")),
    ("pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
     Pod("p").label("bar").spread(1, "node", DNS, FOO), four(), SPREAD_2103, codes("U", "ok", "ok", "U")),
    ("incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
     Pod("p").label("foo").node_affinity("node", "In", ["node-a", "node-y"]).spread(1, "node", DNS, FOO),
     four(), SPREAD_2103, codes("ok", "ok", "ok", "U")),
    ("terminating Pods should be excluded", Pod("p").label("foo").spread(1, "node", DNS, FOO),
     [node("node-a", {"node": "node-a"}), node("node-b", {"node": "node-b"})],
     [Pod("p-a").node("node-a").label("foo").terminating().obj(), ep("p-b", "node-b", "foo")],
     {"node-a": "ok", "node-b": "U"}),
    ("incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
     Pod("p").label("foo").node_affinity("node", "NotIn", ["node-b"]).spread(1, "zone", DNS, FOO), four(),
     [ep("p-b1", "node-b", "foo"), ep("p-b2", "node-b", "foo"), ep("p-y1", "node-y", "foo")],
     codes("ok", "ok", "U", "U")),
    ("pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains, "
     "then the third node fits", Pod("p").label("foo").spread(2, "node", DNS, FOO, minDomains=4), ABC, P_221,
     {"node-a": "U", "node-b": "U", "node-c": "ok"}),
    ("pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains, "
     "then the all nodes fit", Pod("p").label("foo").spread(2, "node", DNS, FOO, minDomains=2), ABC, P_221,
     {"node-a": "ok", "node-b": "ok", "node-c": "ok"}),
    ("pods spread across zone as 2/1, maxSkew is 2 and the number of domains < minDomains, "
     "then the third and fourth nodes fit", Pod("p").label("foo").spread(2, "zone", DNS, FOO, minDomains=3),
     four(), P_21_ZONE, codes("U", "U", "ok", "ok")),
    ("pods spread across zone as 2/1, maxSkew is 2 and the number of domains > minDomains, "
     "then the all nodes fit", Pod("p").label("foo").spread(2, "zone", DNS, FOO, minDomains=1), four(),
     P_21_ZONE, codes("ok", "ok", "ok", "ok")),
    ("NodeAffinityPolicy honored with labelSelectors",
     Pod("p").label("foo").node_selector({"foo": ""}).spread(1, "node", DNS, FOO), policy_nodes(), P_21_ZONE,
     codes("U", "U", "ok", "ok")),
    ("NodeAffinityPolicy ignored with labelSelectors",
     Pod("p").label("foo").node_selector({"foo": ""}).spread(1, "node", DNS, FOO, nodeAffinityPolicy="Ignore"),
     policy_nodes(), P_21_ZONE, codes("U", "U", "ok", "U")),
    ("NodeAffinityPolicy honored with nodeAffinity",
     Pod("p").label("foo").node_affinity("foo", "In", [""]).spread(1, "node", DNS, FOO), policy_nodes(),
     P_21_ZONE, codes("U", "U", "ok", "ok")),
    ("NodeAffinityPolicy ignored with labelSelectors (nodeAffinity variant)",
     Pod("p").label("foo").node_affinity("foo", "In", [""]).spread(1, "node", DNS, FOO,
                                                                  nodeAffinityPolicy="Ignore"),
     policy_nodes(), P_21_ZONE, codes("U", "U", "ok", "U")),
    ("NodeTaintsPolicy honored", Pod("p").label("foo").spread(1, "node", DNS, FOO, nodeTaintsPolicy="Honor"),
     policy_nodes(taint_y=True), P_21_ZONE, codes("U", "U", "ok", "ok")),
    ("NodeTaintsPolicy ignored", Pod("p").label("foo").spread(1, "node", DNS, FOO), policy_nodes(taint_y=True),
     P_21_ZONE, codes("U", "U", "ok", "U")),
]


def fb(name: str) -> Pod:
    return Pod(name).label("foo").label("bar")


TWO = Pod("p").label("foo").spread(1, "zone", DNS, FOO).spread(1, "node", DNS, FOO)
DIFF = fb("p").spread(1, "zone", DNS, FOO).spread(1, "node", DNS, BAR)
ZONE_PAIR = fb("p").spread(1, "zone", DNS, BAR).spread(1, "zone", DNS, FOO)


def inclusion_nodes(b_foo: bool, y_foo: bool, y_taint: bool) -> list[dict]:
    def mk(name: str, zone: str, foo: bool, taint: bool = False) -> dict:
        labels = {"zone": zone, "node": name}
        if foo:
            labels["foo"] = ""
        return node(name, labels, taints=[UNSCHEDULABLE_TAINT] if taint else None)

    return [mk("node-a", "zone1", True), mk("node-b", "zone1", b_foo), mk("node-x", "zone2", True),
            mk("node-y", "zone2", y_foo, y_taint)]


INCL_PODS = [ep("p-a1", "node-a", "foo"), ep("p-b1", "node-b", "foo"), ep("p-y1", "node-y", "foo")]

MULTIPLE = [
    ("two Constraints on zone and node, spreads = [3/3, 2/1/0/3]", TWO, four(), SPREAD_2103,
     codes("U", "U", "ok", "U")),
    ("two Constraints on zone and node, spreads = [3/4, 2/1/0/4]", TWO, four(),
     [*SPREAD_2103, ep("p-y4", "node-y", "foo")], codes("U", "U", "U", "U")),
    ("Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]", DIFF, four(),
     [ep("p-a1", "node-a", "foo"), ep("p-y1", "node-y", "bar")], codes("U", "U", "ok", "U")),
    ("Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]", DIFF, four(),
     [ep("p-a1", "node-a", "foo"), ep("p-x1", "node-x", "bar"), ep("p-y1", "node-y", "bar")],
     codes("U", "U", "U", "U")),
    ("Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]", DIFF, four(),
     [ep("p-a1", "node-a", "foo"), ep("p-a2", "node-a", "foo", "bar"), ep("p-y1", "node-y", "foo"),
      ep("p-y2", "node-y", "foo", "bar"), ep("p-y3", "node-y", "foo")], codes("U", "ok", "U", "U")),
    ("Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint",
     Pod("p").label("bar").spread(1, "zone", DNS, FOO).spread(1, "node", DNS, BAR), four(),
     [ep("p-a1", "node-a", "foo"), ep("p-x1", "node-x", "bar"), ep("p-y1", "node-y", "bar")],
     codes("ok", "ok", "U", "U")),
    ("two Constraints on zone and node, absence of label 'node' on node-x, spreads = [1/1, 1/0/0/1]", TWO,
     [zn("node-a", "zone1"), zn("node-b", "zone1"), node("node-x", {"zone": "zone2"}), zn("node-y", "zone2")],
     [ep("p-a1", "node-a", "foo"), ep("p-y3", "node-y", "foo")], codes("U", "ok", "UU", "U")),
    ("two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore",
     Pod("p").label("foo").node_selector({"foo": ""}).spread(1, "zone", DNS, FOO)
     .spread(1, "node", DNS, FOO, nodeAffinityPolicy="Ignore"),
     inclusion_nodes(True, False, False), INCL_PODS, codes("U", "U", "ok", "U")),
    ("two node inclusion Constraints, zone: honor/honor, node: honor/ignore",
     Pod("p").label("foo").spread(1, "zone", DNS, FOO, nodeTaintsPolicy="Honor").spread(1, "node", DNS, FOO),
     inclusion_nodes(True, False, True), INCL_PODS, codes("U", "U", "ok", "U")),
    ("two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
     Pod("p").label("foo").node_selector({"foo": ""}).spread(1, "zone", DNS, FOO).spread(1, "node", DNS, FOO),
     inclusion_nodes(False, True, True), INCL_PODS, codes("U", "ok", "ok", "U")),
    ("two node inclusion Constraints, zone: honor/honor, node: ignore/ignore",
     Pod("p").label("foo").node_selector({"foo": ""}).spread(1, "zone", DNS, FOO, nodeTaintsPolicy="Honor")
     .spread(1, "node", DNS, FOO, nodeAffinityPolicy="Ignore"),
     inclusion_nodes(False, True, True), INCL_PODS, codes("U", "U", "ok", "U")),
    ("two Constraints on zone, spreads = [3/3, 2/1]", ZONE_PAIR, four(),
     [ep("p-a1", "node-a", "foo", "bar"), ep("p-a2", "node-a", "foo"), ep("p-b1", "node-b", "foo", "bar"),
      ep("p-y1", "node-y", "foo"), ep("p-y2", "node-y", "foo", "bar"), ep("p-y3", "node-y", "foo")],
     codes("U", "U", "ok", "ok")),
    ("two Constraints on zone, spreads = [3/4, 2/1]", ZONE_PAIR, four(),
     [ep("p-a1", "node-a", "foo", "bar"), ep("p-a2", "node-a", "foo"), ep("p-b1", "node-b", "foo", "bar"),
      ep("p-y1", "node-y", "foo"), ep("p-y2", "node-y", "foo", "bar"), ep("p-y3", "node-y", "foo"),
      ep("p-y4", "node-y", "foo")], codes("U", "U", "U", "U")),
]


def _code(result) -> str:
    if result.ok:
        return "ok"
    return "UU" if result.unresolvable else "U"


CASES = [pytest.param(*c[1:], id=f"TestSingleConstraint/{c[0]}") for c in SINGLE] + [
    pytest.param(*c[1:], id=f"TestMultipleConstraints/{c[0]}") for c in MULTIPLE
]


@pytest.mark.parametrize(("pod", "nodes", "existing", "want"), CASES)
def test_upstream_spread_filter(pod, nodes, existing, want) -> None:
    p = pod.obj()
    state = prefilter(p, nodes, existing)
    got = {n["metadata"]["name"]: _code(pod_topology_spread(p, n, state)) for n in nodes}
    assert got == want


def hn(name: str, **labels: str) -> dict:
    return node(name, {HOSTNAME: name, **labels})


P_2103 = [ep("p-a1", "node-a", "foo"), ep("p-a2", "node-a", "foo"), ep("p-b1", "node-b", "foo"),
          ep("p-d1", "node-d", "foo"), ep("p-d2", "node-d", "foo"), ep("p-d3", "node-d", "foo")]
P_4321 = [ep(f"p-a{i}", "node-a", "foo") for i in range(1, 5)] + [ep(f"p-b{i}", "node-b", "foo") for i in
                                                                  range(1, 4)] + [
    ep("p-c1", "node-c", "foo"), ep("p-c2", "node-c", "foo"), ep("p-d1", "node-d", "foo")]
P_4213 = [ep(f"p-a{i}", "node-a", "foo") for i in range(1, 5)] + [
    ep("p-b1", "node-b", "foo"), ep("p-b2", "node-b", "foo"), ep("p-x1", "node-x", "foo"),
    ep("p-y1", "node-y", "foo"), ep("p-y2", "node-y", "foo"), ep("p-y3", "node-y", "foo")]
ABCD = [hn("node-a"), hn("node-b"), hn("node-c"), hn("node-d")]

SCORES = [
    ("one constraint on node, no existing pods", Pod("p").label("foo").spread(1, HOSTNAME, SA, FOO),
     [hn("node-a"), hn("node-b")], [], [], {"node-a": 100, "node-b": 100}),
    ("one constraint on node, all nodes have the same number of matching pods",
     Pod("p").label("foo").spread(1, HOSTNAME, SA, FOO), [hn("node-a"), hn("node-b")], [],
     [ep("p-a1", "node-a", "foo"), ep("p-b1", "node-b", "foo")], {"node-a": 100, "node-b": 100}),
    ("one constraint on node, all 4 nodes are candidates", Pod("p").label("foo").spread(1, HOSTNAME, SA, FOO),
     ABCD, [], P_2103, {"node-a": 20, "node-b": 60, "node-c": 100, "node-d": 0}),
    ("one constraint on node, null selector", Pod("p").label("foo").spread(1, HOSTNAME, SA, None), ABCD, [],
     P_2103, {"node-a": 100, "node-b": 100, "node-c": 100, "node-d": 100}),
    ("one constraint on node, all 4 nodes are candidates, maxSkew=2",
     Pod("p").label("foo").spread(2, HOSTNAME, SA, FOO), ABCD, [], P_2103,
     {"node-a": 33, "node-b": 66, "node-c": 100, "node-d": 16}),
    ("one constraint on node, all 4 nodes are candidates, maxSkew=3",
     Pod("p").label("foo").spread(3, HOSTNAME, SA, FOO), ABCD, [], P_4321,
     {"node-a": 44, "node-b": 66, "node-c": 77, "node-d": 100}),
    ("one constraint on node, 3 out of 4 nodes are candidates", Pod("p").label("foo").spread(1, HOSTNAME, SA, FOO),
     [hn("node-a"), hn("node-b"), hn("node-x")], [hn("node-y")], P_4213,
     {"node-a": 33, "node-b": 83, "node-x": 100}),
    ("one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
     Pod("p").label("foo").spread(1, HOSTNAME, SA, FOO), [hn("node-a"), node("node-b", {"n": "node-b"}),
                                                          hn("node-x")], [hn("node-y")], P_4213,
     {"node-a": 16, "node-b": 0, "node-x": 100}),
    ("one constraint on zone, 3 out of 4 nodes are candidates", Pod("p").label("foo").spread(1, "zone", SA, FOO),
     [hn("node-a", zone="zone1"), hn("node-b", zone="zone1"), hn("node-x", zone="zone2")],
     [hn("node-y", zone="zone2")], P_4213, {"node-a": 75, "node-b": 75, "node-x": 100}),
]


@pytest.mark.parametrize(
    ("pod", "nodes", "failed", "existing", "want"),
    [pytest.param(*c[1:], id=f"TestPodTopologySpreadScore/{c[0]}") for c in SCORES],
)
def test_upstream_spread_score(pod, nodes, failed, existing, want) -> None:
    snap = build_snapshot(nodes + failed, existing)
    feasible = [snap.get(n) for n in nodes]
    assert spread_scores(pod.obj(), feasible, snap) == want
