"""Score plugins and their combination, with upstream's formulas, normalisation and default weights.

Per feasible node each plugin gives 0..100; the final score is the weighted sum (default profile weights):
TaintToleration 3 (fewer untolerated PreferNoSchedule taints is better), NodeAffinity 2 (preferred node
affinity weights), NodeResourcesFit 1 (LeastAllocated over cpu and memory with non-zero requests),
PodTopologySpread 2 (ScheduleAnyway constraints), InterPodAffinity 2 (preferred terms),
NodeResourcesBalancedAllocation 1 (1 - std of cpu/memory utilisation fractions). ImageLocality is not modelled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .interpod import interpod_scores
from .nodeaffinity import preferred_node_affinity_score
from .objects import pod_requests, tolerates, tolerations_of
from .snapshot import NodeInfo, Snapshot
from .spread import spread_scores

__all__ = [
    "DEFAULT_WEIGHTS",
    "balanced_allocation_score",
    "default_normalize",
    "least_allocated_score",
    "score_nodes",
    "taint_toleration_raw",
]

Obj = Mapping[str, Any]
MAX_NODE_SCORE = 100
SCORED_RESOURCES = ("cpu", "memory")
DEFAULT_WEIGHTS: Mapping[str, int] = {
    "TaintToleration": 3,
    "NodeAffinity": 2,
    "NodeResourcesFit": 1,
    "PodTopologySpread": 2,
    "InterPodAffinity": 2,
    "NodeResourcesBalancedAllocation": 1,
}


def default_normalize(raw: Mapping[str, int], reverse: bool) -> dict[str, int]:
    """Upstream DefaultNormalizeScore: scale to 0..100 by the maximum; `reverse` flips (100 - score)."""
    top = max(raw.values(), default=0)
    if top == 0:
        return dict.fromkeys(raw, MAX_NODE_SCORE if reverse else 0)
    out = {}
    for name, score in raw.items():
        scaled = MAX_NODE_SCORE * score // top
        out[name] = MAX_NODE_SCORE - scaled if reverse else scaled
    return out


def least_allocated_score(pod_nonzero: Mapping[str, int], info: NodeInfo) -> int:
    """LeastAllocated: mean over cpu/memory of (allocatable - requested) * 100 / allocatable."""
    total = weights = 0
    for name in SCORED_RESOURCES:
        alloc = info.allocatable.get(name, 0)
        if alloc == 0:
            continue
        requested = info.nonzero_requested.get(name, 0) + pod_nonzero.get(name, 0)
        total += 0 if requested > alloc else (alloc - requested) * MAX_NODE_SCORE // alloc
        weights += 1
    return total // weights if weights else 0


def balanced_allocation_score(pod_actual: Mapping[str, int], info: NodeInfo) -> int:
    """BalancedAllocation: (1 - standard deviation of the cpu/memory fractions) * 100."""
    fractions = []
    for name in SCORED_RESOURCES:
        alloc = info.allocatable.get(name, 0)
        if alloc == 0:
            continue
        requested = info.requested.get(name, 0) + pod_actual.get(name, 0)
        fractions.append(min(requested / alloc, 1.0))
    std = 0.0
    if len(fractions) == 2:
        std = abs(fractions[0] - fractions[1]) / 2
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


def taint_toleration_raw(pod: Obj, info: NodeInfo) -> int:
    """Number of PreferNoSchedule taints not tolerated by the pod's (empty or PreferNoSchedule) tolerations."""
    tolerations = [t for t in tolerations_of(pod) if (t.get("effect") or "PreferNoSchedule") == "PreferNoSchedule"]
    return sum(
        1
        for taint in info.taints
        if taint.get("effect") == "PreferNoSchedule" and not any(tolerates(t, taint) for t in tolerations)
    )


def plugin_scores(pod: Obj, feasible: Sequence[NodeInfo], snapshot: Snapshot) -> dict[str, dict[str, int]]:
    """Normalised 0..100 score of every plugin for every feasible node: {plugin: {node: score}}."""
    nonzero = pod_requests(pod, non_zero=True)
    actual = pod_requests(pod)
    return {
        "TaintToleration": default_normalize({i.name: taint_toleration_raw(pod, i) for i in feasible}, True),
        "NodeAffinity": default_normalize({i.name: preferred_node_affinity_score(pod, i.node) for i in feasible},
                                          False),
        "NodeResourcesFit": {i.name: least_allocated_score(nonzero, i) for i in feasible},
        "PodTopologySpread": spread_scores(pod, feasible, snapshot),
        "InterPodAffinity": interpod_scores(pod, feasible, snapshot),
        "NodeResourcesBalancedAllocation": {i.name: balanced_allocation_score(actual, i) for i in feasible},
    }


def score_nodes(
    pod: Obj, feasible: Sequence[NodeInfo], snapshot: Snapshot, weights: Mapping[str, int] = DEFAULT_WEIGHTS
) -> dict[str, int]:
    """Weighted sum of the plugin scores per feasible node."""
    per_plugin = plugin_scores(pod, feasible, snapshot)
    totals = dict.fromkeys((i.name for i in feasible), 0)
    for plugin, scores in per_plugin.items():
        weight = weights.get(plugin, 0)
        for name, score in scores.items():
            totals[name] += weight * score
    return totals
