"""Inter-pod affinity and anti-affinity: the InterPodAffinity filter and score, as upstream computes them.

Filter (required terms), evaluated per node after counting over all nodes:
1. incoming pod's affinity: every term's topologyKey must exist on the node and some pod matching ALL terms
   must run in the node's domain of each term; exception: if no pod anywhere matches all terms and the pod
   matches its own terms, the first pod of a group may go anywhere that has the keys (Unresolvable).
2. incoming pod's anti-affinity: no pod matching a term may run in the node's domain of that term.
3. existing pods' anti-affinity: no existing pod whose required anti-affinity term matches the incoming pod
   may run in the same domain (checked over every label of the node, as upstream does).
A term's namespaces default to the owning pod's namespace; `namespaceSelector` (matched against
`namespace_labels`) widens them, `{}` meaning all namespaces. A null labelSelector matches no pod.

Score: weights of the incoming pod's preferred terms (+affinity, -anti-affinity) per matching existing pod,
plus existing pods' required affinity (hard weight 1) and preferred terms that match the incoming pod,
summed per topology domain, then min-max normalised to 0..100 over the feasible nodes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .nodeaffinity import label_selector_matches
from .objects import labels_of, namespace_of
from .result import (
    ERR_AFFINITY_RULES,
    ERR_ANTI_AFFINITY_RULES,
    ERR_EXISTING_ANTI_AFFINITY,
    FilterResult,
)
from .snapshot import NodeInfo, Snapshot

__all__ = ["AffinityTerm", "InterPodState", "compute_interpod_state", "inter_pod_affinity", "interpod_scores"]

Obj = Mapping[str, Any]


class _Cycle(Protocol):
    """What the filter reads of the scheduling cycle's state (state.CycleState provides it)."""

    @property
    def snapshot(self) -> Snapshot: ...

    @property
    def interpod(self) -> InterPodState: ...
Pair = tuple[str, str]
HARD_POD_AFFINITY_WEIGHT = 1


@dataclass(frozen=True)
class AffinityTerm:
    """A parsed PodAffinityTerm (with its weight when it came from a preferred term)."""

    selector: Obj | None
    namespaces: frozenset[str]
    namespace_selector: Obj | None
    topology_key: str
    weight: int = 0

    def matches(self, pod: Obj, snapshot: Snapshot) -> bool:
        """True when `pod` is in the term's namespaces and its labels match the selector."""
        ns = namespace_of(pod)
        in_ns = ns in self.namespaces or (
            self.namespace_selector is not None
            and label_selector_matches(self.namespace_selector, snapshot.ns_labels(ns))
        )
        return in_ns and label_selector_matches(self.selector, labels_of(pod))


def _make_term(owner: Obj, raw: Obj, weight: int = 0) -> AffinityTerm:
    namespaces = frozenset(raw.get("namespaces") or [])
    ns_selector = raw.get("namespaceSelector")
    if not namespaces and ns_selector is None:
        namespaces = frozenset([namespace_of(owner)])
    return AffinityTerm(raw.get("labelSelector"), namespaces, ns_selector, raw.get("topologyKey") or "", weight)


def _section(pod: Obj, kind: str) -> Obj:
    return ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}


def required_terms(pod: Obj, kind: str) -> list[AffinityTerm]:
    """Required terms of `kind` ('podAffinity' or 'podAntiAffinity')."""
    raw = _section(pod, kind).get("requiredDuringSchedulingIgnoredDuringExecution") or []
    return [_make_term(pod, t) for t in raw]


def preferred_terms(pod: Obj, kind: str) -> list[AffinityTerm]:
    """Preferred (weighted) terms of `kind`."""
    raw = _section(pod, kind).get("preferredDuringSchedulingIgnoredDuringExecution") or []
    return [_make_term(pod, w.get("podAffinityTerm") or {}, int(w.get("weight") or 0)) for w in raw]


@dataclass
class InterPodState:
    """PreFilter state: counts per (topologyKey, value)."""

    affinity_terms: list[AffinityTerm]
    anti_terms: list[AffinityTerm]
    existing_anti: Counter[Pair]
    affinity_counts: Counter[Pair]
    anti_counts: Counter[Pair]


def _matches_all(terms: Sequence[AffinityTerm], pod: Obj, snapshot: Snapshot) -> bool:
    return bool(terms) and all(t.matches(pod, snapshot) for t in terms)


def compute_interpod_state(pod: Obj, snapshot: Snapshot) -> InterPodState:
    """Count, over all nodes, the pods relevant to the incoming pod's required (anti-)affinity."""
    state = InterPodState(
        required_terms(pod, "podAffinity"), required_terms(pod, "podAntiAffinity"), Counter(), Counter(), Counter()
    )
    for info in snapshot.node_infos:
        for existing in info.pods:
            for term in required_terms(existing, "podAntiAffinity"):
                if term.topology_key in info.labels and term.matches(pod, snapshot):
                    state.existing_anti[(term.topology_key, info.labels[term.topology_key])] += 1
            if _matches_all(state.affinity_terms, existing, snapshot):
                for term in state.affinity_terms:
                    if term.topology_key in info.labels:
                        state.affinity_counts[(term.topology_key, info.labels[term.topology_key])] += 1
            for term in state.anti_terms:
                if term.topology_key in info.labels and term.matches(existing, snapshot):
                    state.anti_counts[(term.topology_key, info.labels[term.topology_key])] += 1
    return state


def _satisfies_affinity(pod: Obj, labels: Mapping[str, str], s: InterPodState, snapshot: Snapshot) -> bool:
    pods_exist = True
    for term in s.affinity_terms:
        if term.topology_key not in labels:
            return False
        if s.affinity_counts[(term.topology_key, labels[term.topology_key])] <= 0:
            pods_exist = False
    if pods_exist:
        return True
    return not s.affinity_counts and _matches_all(s.affinity_terms, pod, snapshot)


def inter_pod_affinity(pod: Obj, node: Obj, state: _Cycle) -> FilterResult:
    """The InterPodAffinity filter."""
    s = state.interpod
    labels = state.snapshot.get(node).labels
    if not _satisfies_affinity(pod, labels, s, state.snapshot):
        return FilterResult.fail(ERR_AFFINITY_RULES, unresolvable=True)
    for term in s.anti_terms:
        value = labels.get(term.topology_key)
        if value is not None and s.anti_counts[(term.topology_key, value)] > 0:
            return FilterResult.fail(ERR_ANTI_AFFINITY_RULES)
    if s.existing_anti and any(s.existing_anti[(k, v)] > 0 for k, v in labels.items()):
        return FilterResult.fail(ERR_EXISTING_ANTI_AFFINITY)
    return FilterResult.success()


def _add(scores: Counter[Pair], term: AffinityTerm, target: Obj, info: NodeInfo, sign: int, snap: Snapshot) -> None:
    value = info.labels.get(term.topology_key)
    if value is not None and term.matches(target, snap):
        scores[(term.topology_key, value)] += sign * term.weight


def _topology_scores(pod: Obj, snapshot: Snapshot) -> Counter[Pair]:
    scores: Counter[Pair] = Counter()
    pref_aff = preferred_terms(pod, "podAffinity")
    pref_anti = preferred_terms(pod, "podAntiAffinity")
    for info in snapshot.node_infos:
        for existing in info.pods:
            for term in pref_aff:
                _add(scores, term, existing, info, 1, snapshot)
            for term in pref_anti:
                _add(scores, term, existing, info, -1, snapshot)
            for term in required_terms(existing, "podAffinity"):
                hard = AffinityTerm(term.selector, term.namespaces, term.namespace_selector, term.topology_key,
                                    HARD_POD_AFFINITY_WEIGHT)
                _add(scores, hard, pod, info, 1, snapshot)
            for term in preferred_terms(existing, "podAffinity"):
                _add(scores, term, pod, info, 1, snapshot)
            for term in preferred_terms(existing, "podAntiAffinity"):
                _add(scores, term, pod, info, -1, snapshot)
    return scores


def interpod_scores(pod: Obj, feasible: Sequence[NodeInfo], snapshot: Snapshot) -> dict[str, int]:
    """Normalised (0..100) InterPodAffinity scores of the feasible nodes."""
    topo = _topology_scores(pod, snapshot)
    raw = {info.name: sum(w for (k, v), w in topo.items() if info.labels.get(k) == v) for info in feasible}
    if not any(topo.values()) or not raw:
        return dict.fromkeys(raw, 0)
    low, high = min(raw.values()), max(raw.values())
    if high - low <= 0:
        return dict.fromkeys(raw, 0)
    return {name: int(100 * (score - low) / (high - low)) for name, score in raw.items()}
