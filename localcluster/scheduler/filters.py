"""Node filters with upstream semantics and reasons, and the default filter chain in upstream order.

Every filter is `(pod, node, state) -> FilterResult` where `state` comes from `prefilter()`. `run_filters`
stops at the first failing filter, as the scheduling framework does, so a cordoned node reports only
`node(s) were unschedulable` even though it also carries the unschedulable taint.

Not modelled (not used by the suite): NodePorts (hostPort conflicts), volume filters, DRA, scheduling gates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .interpod import inter_pod_affinity
from .nodeaffinity import required_node_affinity_matches
from .objects import TAINT_UNSCHEDULABLE, find_untolerated_taint, name_of, tolerates, tolerations_of
from .result import (
    ERR_NODE_AFFINITY,
    ERR_NODE_NAME,
    ERR_TOO_MANY_PODS,
    ERR_UNSCHEDULABLE,
    FilterResult,
    untolerated_taint_reason,
)
from .spread import pod_topology_spread
from .state import CycleState

__all__ = [
    "FILTERS",
    "node_affinity",
    "node_name",
    "node_resources_fit",
    "node_unschedulable",
    "run_filters",
    "taint_toleration",
]

Obj = Mapping[str, Any]
Filter = Callable[[Obj, Obj, CycleState], FilterResult]

_UNSCHEDULABLE_TAINT = {"key": TAINT_UNSCHEDULABLE, "effect": "NoSchedule"}
_FIXED_ORDER = ("pods", "cpu", "memory", "ephemeral-storage")


def node_unschedulable(pod: Obj, node: Obj, state: CycleState) -> FilterResult:
    """NodeUnschedulable: a cordoned node accepts only pods tolerating the unschedulable taint."""
    del state
    if not (node.get("spec") or {}).get("unschedulable"):
        return FilterResult.success()
    if any(tolerates(t, _UNSCHEDULABLE_TAINT) for t in tolerations_of(pod)):
        return FilterResult.success()
    return FilterResult.fail(ERR_UNSCHEDULABLE, unresolvable=True)


def node_name(pod: Obj, node: Obj, state: CycleState) -> FilterResult:
    """NodeName: a pod with spec.nodeName set fits only that node."""
    del state
    wanted = (pod.get("spec") or {}).get("nodeName")
    if wanted and wanted != name_of(node):
        return FilterResult.fail(ERR_NODE_NAME, unresolvable=True)
    return FilterResult.success()


def taint_toleration(pod: Obj, node: Obj, state: CycleState) -> FilterResult:
    """TaintToleration: every NoSchedule/NoExecute taint (incl. condition taints) must be tolerated."""
    taint = find_untolerated_taint(state.snapshot.get(node).taints, tolerations_of(pod))
    if taint is None:
        return FilterResult.success()
    reason = untolerated_taint_reason(taint.get("key") or "", taint.get("value") or "", state.generic_taint_reason)
    return FilterResult.fail(reason, unresolvable=True)


def node_affinity(pod: Obj, node: Obj, state: CycleState) -> FilterResult:
    """NodeAffinity: spec.nodeSelector and required node affinity."""
    del state
    if required_node_affinity_matches(pod, node):
        return FilterResult.success()
    return FilterResult.fail(ERR_NODE_AFFINITY, unresolvable=True)


def node_resources_fit(pod: Obj, node: Obj, state: CycleState) -> FilterResult:
    """NodeResourcesFit: pod count and every requested resource against allocatable minus requested."""
    info = state.snapshot.get(node)
    reasons: list[str] = []
    if len(info.pods) + 1 > info.allocatable.get("pods", 0):
        reasons.append(ERR_TOO_MANY_PODS)
    requests = state.pod_requests
    names = [n for n in _FIXED_ORDER[1:] if n in requests]
    names += sorted(n for n in requests if n not in _FIXED_ORDER)
    for name in names:
        want = requests[name]
        if want <= 0:
            continue
        if want > info.allocatable.get(name, 0) - info.requested.get(name, 0):
            reasons.append(f"Insufficient {name}")
    if reasons:
        return FilterResult.fail(*reasons)
    return FilterResult.success()


FILTERS: tuple[tuple[str, Filter], ...] = (
    ("NodeUnschedulable", node_unschedulable),
    ("NodeName", node_name),
    ("TaintToleration", taint_toleration),
    ("NodeAffinity", node_affinity),
    ("NodeResourcesFit", node_resources_fit),
    ("PodTopologySpread", pod_topology_spread),
    ("InterPodAffinity", inter_pod_affinity),
)


def run_filters(pod: Obj, node: Obj, state: CycleState) -> FilterResult:
    """Run the default filter chain; the first failure is the node's status."""
    for _, check in FILTERS:
        result = check(pod, node, state)
        if not result.ok:
            return result
    return FilterResult.success()
