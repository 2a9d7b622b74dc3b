"""NodeUnschedulable, TaintToleration and NodeResourcesFit cases transcribed from upstream unit tests.

Sources (kubernetes/kubernetes pkg/scheduler/framework/plugins/): nodeunschedulable/node_unschedulable_test.go
(TestNodeUnschedulable), tainttoleration/taint_toleration_test.go (TestTaintTolerationFilter,
TestTaintTolerationScore), noderesources/fit_test.go (TestEnoughRequests, TestNotEnoughRequests). Each pytest
id is "<Go test>/<case name>"; inputs and expected statuses are upstream's. Fit cases use upstream's node:
allocatable cpu 10m, memory 20, pods 32, example.com/aaa 5, ephemeral-storage 20, hugepages-2Mi 5, with one
existing pod holding the requests given in the case ("used"). Cases about ignored-resource plugin arguments
and pod-level resources are left out (those plugin options are not modelled).
"""

from __future__ import annotations

import pytest
from test_sched_builders import Pod, node

from localcluster.scheduler import node_resources_fit, node_unschedulable, prefilter, taint_toleration
from localcluster.scheduler.scoring import default_normalize, taint_toleration_raw
from localcluster.scheduler.snapshot import build_snapshot

UNSCHED_TOL = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


@pytest.mark.parametrize(
    ("unschedulable", "tolerations", "want"),
    [
        pytest.param(True, [], "node(s) were unschedulable",
                     id="TestNodeUnschedulable/Does not schedule pod to unschedulable node "
                        "(node.Spec.Unschedulable==true)"),
        pytest.param(False, [], "ok", id="TestNodeUnschedulable/Schedule pod to normal node"),
        pytest.param(True, [UNSCHED_TOL], "ok",
                     id="TestNodeUnschedulable/Schedule pod with toleration to unschedulable node "
                        "(node.Spec.Unschedulable==true)"),
    ],
)
def test_upstream_node_unschedulable(unschedulable, tolerations, want) -> None:
    pod = Pod("p").tolerations(*tolerations).obj()
    n = node("n", unschedulable=unschedulable)
    result = node_unschedulable(pod, n, prefilter(pod, [n], []))
    assert ("ok" if result.ok else result.reason) == want
    assert result.ok or result.unresolvable


def t(key: str, value: str, effect: str, op: str | None = None) -> dict:
    out = {"key": key, "value": value, "effect": effect}
    if op:
        out["operator"] = op
    return out


DED1 = t("dedicated", "user1", "NoSchedule")
TAINT_FILTER = [
    ("A pod having no tolerations can't be scheduled onto a node with nonempty taints", [], [DED1],
     "node(s) had untolerated taint {dedicated: user1}"),
    ("A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule", [DED1], [DED1],
     "ok"),
    ("A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
     [t("dedicated", "user2", "NoSchedule", "Equal")], [DED1], "node(s) had untolerated taint {dedicated: user1}"),
    ("A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on "
     "the node", [{"key": "foo", "operator": "Exists", "effect": "NoSchedule"}], [t("foo", "bar", "NoSchedule")],
     "ok"),
    ("A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be "
     "scheduled onto the node", [t("dedicated", "user2", "NoSchedule", "Equal"),
                                 {"key": "foo", "operator": "Exists", "effect": "NoSchedule"}],
     [t("dedicated", "user2", "NoSchedule"), t("foo", "bar", "NoSchedule")], "ok"),
    ("A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't "
     "match, can't be scheduled onto the node", [t("foo", "bar", "PreferNoSchedule", "Equal")],
     [t("foo", "bar", "NoSchedule")], "node(s) had untolerated taint {foo: bar}"),
    ("The pod has a toleration that keys and values match the taint on the node, the effect of toleration is "
     "empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
     [{"key": "foo", "operator": "Equal", "value": "bar"}], [t("foo", "bar", "NoSchedule")], "ok"),
    ("The pod has a toleration that key and value don't match the taint on the node, but the effect of taint on "
     "node is PreferNoSchedule. Pod can be scheduled onto the node", [t("dedicated", "user2", "NoSchedule", "Equal")],
     [t("dedicated", "user1", "PreferNoSchedule")], "ok"),
    ("The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto "
     "the node", [], [t("dedicated", "user1", "PreferNoSchedule")], "ok"),
]


@pytest.mark.parametrize(
    ("tolerations", "taints", "want"),
    [pytest.param(*c[1:], id=f"TestTaintTolerationFilter/{c[0]}") for c in TAINT_FILTER],
)
def test_upstream_taint_toleration_filter(tolerations, taints, want) -> None:
    pod = Pod("pod1").tolerations(*tolerations).obj()
    n = node("nodeA", taints=taints)
    result = taint_toleration(pod, n, prefilter(pod, [n], []))
    assert ("ok" if result.ok else result.reason) == want
    assert result.ok or result.unresolvable


ARM = t("cpu-type", "arm64", "PreferNoSchedule")
SSD = t("disk-type", "ssd", "PreferNoSchedule")
TAINT_SCORE = [
    ("node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
     [t("foo", "bar", "PreferNoSchedule", "Equal")],
     {"nodeA": [t("foo", "bar", "PreferNoSchedule")], "nodeB": [t("foo", "blah", "PreferNoSchedule")]},
     {"nodeA": 100, "nodeB": 0}),
    ("the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many "
     "tolerable taints a node has", [t("cpu-type", "arm64", "PreferNoSchedule", "Equal"),
                                     t("disk-type", "ssd", "PreferNoSchedule", "Equal")],
     {"nodeA": [], "nodeB": [ARM], "nodeC": [ARM, SSD]}, {"nodeA": 100, "nodeB": 100, "nodeC": 100}),
    ("the more intolerable taints a node has, the lower score it gets.",
     [t("foo", "bar", "PreferNoSchedule", "Equal")], {"nodeA": [], "nodeB": [ARM], "nodeC": [ARM, SSD]},
     {"nodeA": 100, "nodeB": 50, "nodeC": 0}),
    ("only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority "
     "function", [t("cpu-type", "arm64", "NoSchedule", "Equal"), t("disk-type", "ssd", "NoSchedule", "Equal")],
     {"nodeA": [], "nodeB": [t("cpu-type", "arm64", "NoSchedule")], "nodeC": [ARM, SSD]},
     {"nodeA": 100, "nodeB": 100, "nodeC": 0}),
    ("Default behaviour No taints and tolerations, lands on node with no taints", [],
     {"nodeA": [], "nodeB": [ARM]}, {"nodeA": 100, "nodeB": 0}),
]


@pytest.mark.parametrize(
    ("tolerations", "taints", "want"),
    [pytest.param(*c[1:], id=f"TestTaintTolerationScore/{c[0]}") for c in TAINT_SCORE],
)
def test_upstream_taint_toleration_score(tolerations, taints, want) -> None:
    pod = Pod("pod1").tolerations(*tolerations).obj()
    snap = build_snapshot([node(name, taints=ts) for name, ts in taints.items()], [])
    raw = {info.name: taint_toleration_raw(pod, info) for info in snap.node_infos}
    assert default_normalize(raw, reverse=True) == want


ALLOC = {"cpu": "10m", "memory": "20", "pods": "32", "example.com/aaa": "5", "ephemeral-storage": "20",
         "hugepages-2Mi": "5"}


def r(cpu: int = 0, mem: int = 0, **scalars: int) -> dict:
    out = {"cpu": f"{cpu}m", "memory": str(mem)}
    for name, value in scalars.items():
        out[{"aaa": "example.com/aaa", "bbb": "example.com/bbb", "kio": "kubernetes.io/something",
             "hp": "hugepages-2Mi", "eph": "ephemeral-storage"}[name]] = str(value)
    return out


INS_CPU, INS_MEM = "Insufficient cpu", "Insufficient memory"
INS_AAA = "Insufficient example.com/aaa"
FIT = [
    ("no resources requested always fits", [], None, r(10, 20), []),
    ("too many resources fails", [r(1, 1)], None, r(10, 20), [INS_CPU, INS_MEM]),
    ("too many resources fails due to init container cpu", [r(1, 1)], [r(3, 1)], r(8, 19), [INS_CPU]),
    ("too many resources fails due to highest init container cpu", [r(1, 1)], [r(3, 1), r(2, 1)], r(8, 19),
     [INS_CPU]),
    ("too many resources fails due to init container memory", [r(1, 1)], [r(1, 3)], r(9, 19), [INS_MEM]),
    ("too many resources fails due to highest init container memory", [r(1, 1)], [r(1, 3), r(1, 2)], r(9, 19),
     [INS_MEM]),
    ("init container fits because it's the max, not sum, of containers and init containers", [r(1, 1)],
     [r(1, 1)], r(9, 19), []),
    ("multiple init containers fit because it's the max, not sum, of containers and init containers", [r(1, 1)],
     [r(1, 1), r(1, 1)], r(9, 19), []),
    ("both resources fit", [r(1, 1)], None, r(5, 5), []),
    ("one resource memory fits", [r(2, 1)], None, r(9, 5), [INS_CPU]),
    ("one resource cpu fits", [r(1, 2)], None, r(5, 19), [INS_MEM]),
    ("equal edge case", [r(5, 1)], None, r(5, 19), []),
    ("equal edge case for init container", [r(4, 1)], [r(5, 1)], r(5, 19), []),
    ("extended resource fits", [r(aaa=1)], None, r(), []),
    ("extended resource fits for init container", [r()], [r(aaa=1)], r(), []),
    ("extended resource capacity enforced", [r(1, 1, aaa=10)], None, r(aaa=0), [INS_AAA]),
    ("extended resource capacity enforced for init container", [r()], [r(1, 1, aaa=10)], r(aaa=0), [INS_AAA]),
    ("extended resource allocatable enforced", [r(1, 1, aaa=1)], None, r(aaa=5), [INS_AAA]),
    ("extended resource allocatable enforced for init container", [r()], [r(1, 1, aaa=1)], r(aaa=5), [INS_AAA]),
    ("extended resource allocatable enforced for multiple containers", [r(1, 1, aaa=3), r(1, 1, aaa=3)], None,
     r(aaa=2), [INS_AAA]),
    ("extended resource allocatable admits multiple init containers", [r()], [r(1, 1, aaa=3), r(1, 1, aaa=3)],
     r(aaa=2), []),
    ("extended resource allocatable enforced for multiple init containers", [r()],
     [r(1, 1, aaa=6), r(1, 1, aaa=3)], r(aaa=2), [INS_AAA]),
    ("extended resource allocatable enforced for unknown resource", [r(1, 1, bbb=1)], None, r(),
     ["Insufficient example.com/bbb"]),
    ("kubernetes.io resource capacity enforced", [r(1, 1, kio=10)], None, r(),
     ["Insufficient kubernetes.io/something"]),
    ("hugepages resource capacity enforced", [r(1, 1, hp=10)], None, r(hp=0), ["Insufficient hugepages-2Mi"]),
    ("hugepages resource allocatable enforced for multiple containers", [r(1, 1, hp=3), r(1, 1, hp=3)], None,
     r(hp=2), ["Insufficient hugepages-2Mi"]),
    ("skip checking extended resource request with quantity zero via resource groups", [r(1, 1, aaa=0)], None,
     r(aaa=6), []),
    ("skip checking resource request with quantity zero", [r(aaa=1)], None, r(20, 30, aaa=1), []),
]


def _fit(containers, init, used, alloc, overhead=None):
    pod_b = Pod("p").requests(*containers, init=init) if containers else Pod("p").set("containers", [])
    if overhead:
        pod_b.set("overhead", overhead)
    pod = pod_b.obj()
    n = node("n", allocatable=alloc)
    occupant = Pod("used").requests(used).node("n").obj()
    return node_resources_fit(pod, n, prefilter(pod, [n], [occupant]))


@pytest.mark.parametrize(
    ("containers", "init", "used", "want"),
    [pytest.param(*c[1:], id=f"TestEnoughRequests/{c[0]}") for c in FIT],
)
def test_upstream_enough_requests(containers, init, used, want) -> None:
    result = _fit(containers, init, used, ALLOC)
    assert list(result.reasons) == want
    assert result.ok == (not want) and not result.unresolvable


@pytest.mark.parametrize(
    ("overhead", "want"),
    [
        pytest.param({"cpu": "3m", "memory": "13"}, [], id="TestEnoughRequests/resources + pod overhead fits"),
        pytest.param({"cpu": "1m", "memory": "15"}, [INS_MEM],
                     id="TestEnoughRequests/requests + overhead does not fit for memory"),
    ],
)
def test_upstream_overhead(overhead, want) -> None:
    assert list(_fit([r(1, 1)], None, r(5, 5), ALLOC, overhead).reasons) == want


ONE_POD = {"cpu": "10m", "memory": "20", "pods": "1"}


@pytest.mark.parametrize(
    ("containers", "init", "used"),
    [
        pytest.param([], None, r(10, 20), id="TestNotEnoughRequests/even without specified resources, predicate "
                                               "fails when there's no space for additional pod"),
        pytest.param([r(1, 1)], None, r(5, 5), id="TestNotEnoughRequests/even if both resources fit, predicate "
                                                   "fails when there's no space for additional pod"),
        pytest.param([r(5, 1)], None, r(5, 19), id="TestNotEnoughRequests/even for equal edge case, predicate "
                                                    "fails when there's no space for additional pod"),
        pytest.param([r(5, 1)], [r(5, 1)], r(5, 19),
                     id="TestNotEnoughRequests/even for equal edge case, predicate fails when there's no space for "
                        "additional pod due to init container"),
    ],
)
def test_upstream_not_enough_requests(containers, init, used) -> None:
    assert list(_fit(containers, init, used, ONE_POD).reasons) == ["Too many pods"]
