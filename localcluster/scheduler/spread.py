"""Pod topology spread: the PodTopologySpread filter (DoNotSchedule) and score (ScheduleAnyway).

Filter, per constraint, as upstream: a node lacking the topologyKey fails (unresolvable, "missing required
label"); otherwise `matching pods in the node's domain + (1 if the pod matches the selector itself) -
global minimum > maxSkew` fails. Domains and counts come from ALL nodes that carry every constraint's key and
pass the node inclusion policies: nodeAffinityPolicy (default Honor: the node must satisfy the pod's
nodeSelector/required node affinity) and nodeTaintsPolicy (default Ignore: tainted or cordoned nodes still
count; Honor: nodes with an untolerated NoSchedule/NoExecute taint are left out). Counted pods: same namespace
as the incoming pod, selector match, not terminating. With fewer eligible domains than minDomains (default 1)
the global minimum is 0. `matchLabelKeys` values from the pod's labels are ANDed into the selector.

Score: upstream's formula (count * log(domains + 2) + maxSkew - 1 per constraint, hostname counted per node),
normalised so the least-loaded node gets 100. System default constraints are not applied.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .nodeaffinity import label_selector_matches, required_node_affinity_matches
from .objects import LABEL_HOSTNAME, find_untolerated_taint, is_terminating, labels_of, namespace_of, tolerations_of
from .result import ERR_SPREAD, ERR_SPREAD_MISSING_LABEL, FilterResult
from .snapshot import NodeInfo, Snapshot

__all__ = [
    "Constraint",
    "SpreadState",
    "compute_spread_state",
    "constraints_of",
    "pod_topology_spread",
    "spread_scores",
]

Obj = Mapping[str, Any]


class _Cycle(Protocol):
    """What the filter reads of the scheduling cycle's state (state.CycleState provides it)."""

    @property
    def snapshot(self) -> Snapshot: ...

    @property
    def spread(self) -> SpreadState: ...


@dataclass(frozen=True)
class Constraint:
    """A topologySpreadConstraint with upstream defaults applied."""

    max_skew: int
    topology_key: str
    selector: Obj | None
    min_domains: int = 1
    node_affinity_policy: str = "Honor"
    node_taints_policy: str = "Ignore"


def _merged_selector(raw: Obj, pod_labels: Mapping[str, str]) -> Obj | None:
    selector = raw.get("labelSelector")
    keys = [k for k in raw.get("matchLabelKeys") or [] if k in pod_labels]
    if selector is None or not keys:
        return selector
    merged = dict(selector)
    merged["matchLabels"] = {**(selector.get("matchLabels") or {}), **{k: pod_labels[k] for k in keys}}
    return merged


def constraints_of(pod: Obj, action: str) -> list[Constraint]:
    """The pod's constraints whose whenUnsatisfiable is `action` (DoNotSchedule or ScheduleAnyway)."""
    out = []
    pod_labels = labels_of(pod)
    for i, raw in enumerate((pod.get("spec") or {}).get("topologySpreadConstraints") or []):
        if (raw.get("whenUnsatisfiable") or "DoNotSchedule") != action:
            continue
        key = raw.get("topologyKey")
        skew = raw.get("maxSkew")
        if not key or not isinstance(skew, int) or skew < 1:
            raise ValueError(
                f"pod topologySpreadConstraints[{i}]: needs a topologyKey and an integer maxSkew >= 1"
            )
        out.append(
            Constraint(
                skew,
                key,
                _merged_selector(raw, pod_labels),
                int(raw.get("minDomains") or 1),
                raw.get("nodeAffinityPolicy") or "Honor",
                raw.get("nodeTaintsPolicy") or "Ignore",
            )
        )
    return out


def _has_all_keys(labels: Mapping[str, str], constraints: Sequence[Constraint]) -> bool:
    return all(c.topology_key in labels for c in constraints)


def _included(c: Constraint, pod: Obj, info: NodeInfo) -> bool:
    if c.node_affinity_policy == "Honor" and not required_node_affinity_matches(pod, info.node):
        return False
    return not (c.node_taints_policy == "Honor" and find_untolerated_taint(info.taints, tolerations_of(pod)))


def _count_matching(pods: Sequence[Obj], selector: Obj | None, namespace: str) -> int:
    return sum(
        1
        for p in pods
        if not is_terminating(p) and namespace_of(p) == namespace and label_selector_matches(selector, labels_of(p))
    )


@dataclass
class SpreadState:
    """PreFilter state: per DoNotSchedule constraint, matching-pod count per eligible domain."""

    constraints: list[Constraint]
    counts: list[dict[str, int]]


def compute_spread_state(pod: Obj, snapshot: Snapshot) -> SpreadState:
    """Count matching pods per eligible domain for every DoNotSchedule constraint."""
    constraints = constraints_of(pod, "DoNotSchedule")
    counts: list[dict[str, int]] = [{} for _ in constraints]
    ns = namespace_of(pod)
    for info in snapshot.node_infos:
        if not _has_all_keys(info.labels, constraints):
            continue
        for i, c in enumerate(constraints):
            if not _included(c, pod, info):
                continue
            value = info.labels[c.topology_key]
            counts[i][value] = counts[i].get(value, 0) + _count_matching(info.pods, c.selector, ns)
    return SpreadState(constraints, counts)


def pod_topology_spread(pod: Obj, node: Obj, state: _Cycle) -> FilterResult:
    """The PodTopologySpread filter (DoNotSchedule constraints only)."""
    s = state.spread
    labels = state.snapshot.get(node).labels
    pod_labels = labels_of(pod)
    for c, counts in zip(s.constraints, s.counts, strict=True):
        if c.topology_key not in labels:
            return FilterResult.fail(ERR_SPREAD_MISSING_LABEL, unresolvable=True)
        global_min = 0 if len(counts) < c.min_domains else min(counts.values())
        self_match = 1 if label_selector_matches(c.selector, pod_labels) else 0
        if counts.get(labels[c.topology_key], 0) + self_match - global_min > c.max_skew:
            return FilterResult.fail(ERR_SPREAD)
    return FilterResult.success()


def _round_half_away(x: float) -> int:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def spread_scores(pod: Obj, feasible: Sequence[NodeInfo], snapshot: Snapshot) -> dict[str, int]:
    """Normalised (0..100) ScheduleAnyway scores of the feasible nodes (0 everywhere without such constraints)."""
    constraints = constraints_of(pod, "ScheduleAnyway")
    if not constraints or not feasible:
        return {info.name: 0 for info in feasible}
    ignored = {i.name for i in feasible if not _has_all_keys(i.labels, constraints)}
    counts: list[dict[str, int]] = [{} for _ in constraints]
    for info in feasible:
        if info.name in ignored:
            continue
        for i, c in enumerate(constraints):
            if c.topology_key != LABEL_HOSTNAME:
                counts[i].setdefault(info.labels[c.topology_key], 0)
    weights = [
        math.log((len(feasible) - len(ignored) if c.topology_key == LABEL_HOSTNAME else len(counts[i])) + 2)
        for i, c in enumerate(constraints)
    ]
    ns = namespace_of(pod)
    for info in snapshot.node_infos:
        if not _has_all_keys(info.labels, constraints):
            continue
        for i, c in enumerate(constraints):
            value = info.labels[c.topology_key]
            if c.topology_key != LABEL_HOSTNAME and value in counts[i] and _included(c, pod, info):
                counts[i][value] += _count_matching(info.pods, c.selector, ns)
    raw: dict[str, int] = {}
    for info in feasible:
        if info.name in ignored:
            continue
        total = 0.0
        for i, c in enumerate(constraints):
            if c.topology_key == LABEL_HOSTNAME:
                cnt = _count_matching(info.pods, c.selector, ns)
            else:
                cnt = counts[i][info.labels[c.topology_key]]
            total += cnt * weights[i] + (c.max_skew - 1)
        raw[info.name] = _round_half_away(total)
    return _normalise(raw, [i.name for i in feasible])


def _normalise(raw: Mapping[str, int], names: Sequence[str]) -> dict[str, int]:
    if not raw:
        return dict.fromkeys(names, 0)
    low, high = min(raw.values()), max(0, *raw.values())
    out = {}
    for name in names:
        if name not in raw:
            out[name] = 0
        elif high == 0:
            out[name] = 100
        else:
            out[name] = 100 * (high + low - raw[name]) // high
    return out
