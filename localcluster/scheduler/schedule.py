"""Schedule one pod: filter every node, score the feasible ones, pick one; or explain why none fits.

The explanation is upstream's FailedScheduling text (FitError.Error() as of Kubernetes 1.30+):
`0/21 nodes are available: 18 node(s) didn't match pod anti-affinity rules, 3 node(s) were unschedulable.
preemption: 0/21 nodes are available: 18 No preemption victims found for incoming pod, 3 Preemption is not
helpful for scheduling.` Reasons are counted over nodes and the "<count> <reason>" strings sorted as strings
(so "18 ..." sorts before "3 ..."), exactly like upstream's sort.Strings. The `preemption:` tail follows
DefaultPreemption's dry run: nodes failed with an unresolvable status are "not helpful"; nodes without
lower-priority pods have "No preemption victims"; otherwise all lower-priority pods are removed and the node is
filtered again. If that makes some node fit, upstream would preempt: here the message carries no tail and
`preemption_candidates` names those nodes (victims are not evicted: that is the caller's business). Newer
releases may insert "no new claims to deallocate, " (DRA) before `preemption:`; that is not produced.

Tie-break among equal best scores (upstream picks uniformly at random by reservoir sampling): by default the
lexicographically smallest node name, or `tie_break="random"` with a seeded `random.Random` for reproducibility.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .filters import run_filters
from .objects import name_of, node_name_of, pod_key, priority_of
from .result import FilterResult
from .scoring import DEFAULT_WEIGHTS, score_nodes
from .state import CycleState, prefilter

__all__ = ["ScheduleResult", "SchedulerConfig", "fit_error_message", "schedule"]

Obj = Mapping[str, Any]
NO_NODES_MSG = "no nodes available to schedule pods"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NEVER_PREEMPT = "preemption: not eligible due to preemptionPolicy=Never."


@dataclass(frozen=True)
class SchedulerConfig:
    """Knobs: score weights, tie-break, taint reason style (1.35 hides taint key/value), preemption tail."""

    weights: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    tie_break: str = "name"
    rng: random.Random | None = None
    generic_taint_reason: bool = False
    preemption_message: bool = True


@dataclass(frozen=True)
class ScheduleResult:
    """The chosen node (None when unschedulable), per-node failure reasons, the event message and scores."""

    node_name: str | None
    reasons: Mapping[str, tuple[str, ...]]
    message: str = ""
    scores: Mapping[str, int] = field(default_factory=dict)
    preemption_candidates: tuple[str, ...] = ()

    @property
    def scheduled(self) -> bool:
        """True when a node was chosen."""
        return self.node_name is not None


def fit_error_message(num_nodes: int, reasons: Mapping[str, Sequence[str]], post_filter: str = "") -> str:
    """Upstream FitError text: `0/N nodes are available: <sorted histogram>.[ <post-filter message>]`."""
    histogram = Counter(r for node_reasons in reasons.values() for r in node_reasons)
    msg = f"0/{num_nodes} nodes are available:"
    parts = sorted(f"{count} {reason}" for reason, count in histogram.items())
    if parts:
        msg += " " + ", ".join(parts) + "."
    if post_filter:
        msg += " " + post_filter
    return msg


def _select(scores: Mapping[str, int], config: SchedulerConfig) -> str:
    best = max(scores.values())
    tied = sorted(name for name, score in scores.items() if score == best)
    if config.tie_break == "random" and len(tied) > 1:
        return (config.rng or random.Random(0)).choice(tied)
    return tied[0]


def _filter_all(pod: Obj, nodes: Sequence[Obj], state: CycleState) -> tuple[list[str], dict[str, FilterResult]]:
    feasible: list[str] = []
    failed: dict[str, FilterResult] = {}
    for node in nodes:
        result = run_filters(pod, node, state)
        if result.ok:
            feasible.append(name_of(node))
        else:
            failed[name_of(node)] = result
    return feasible, failed


def _preemption(
    pod: Obj,
    nodes: Sequence[Obj],
    pods: Sequence[Obj],
    failed: Mapping[str, FilterResult],
    state: CycleState,
    namespace_labels: Mapping[str, Mapping[str, str]] | None,
) -> tuple[str, tuple[str, ...]]:
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return NEVER_PREEMPT, ()
    prio = priority_of(pod)
    statuses: dict[str, tuple[str, ...]] = {}
    candidates: list[str] = []
    for node in nodes:
        name = name_of(node)
        status = failed[name]
        victims = {pod_key(p) for p in state.snapshot.get(name).pods if priority_of(p) < prio}
        if status.unresolvable:
            statuses[name] = (NOT_HELPFUL,)
        elif not victims:
            statuses[name] = (NO_VICTIMS,)
        else:
            remaining = [p for p in pods if not (node_name_of(p) == name and pod_key(p) in victims)]
            sub = prefilter(pod, nodes, remaining, namespace_labels=namespace_labels,
                            generic_taint_reason=state.generic_taint_reason)
            retry = run_filters(pod, node, sub)
            if retry.ok:
                candidates.append(name)
            else:
                statuses[name] = retry.reasons
    if candidates:
        return "", tuple(candidates)
    return "preemption: " + fit_error_message(len(nodes), statuses), ()


def schedule(
    pod: Obj,
    nodes: Sequence[Obj],
    pods: Iterable[Obj],
    *,
    config: SchedulerConfig | None = None,
    namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> ScheduleResult:
    """Choose a node for `pod` among `nodes`, given all `pods` (only bound, non-terminal ones matter)."""
    cfg = config or SchedulerConfig()
    pods = list(pods)
    if not nodes:
        return ScheduleResult(None, {}, NO_NODES_MSG)
    try:
        state = prefilter(pod, nodes, pods, namespace_labels=namespace_labels,
                          generic_taint_reason=cfg.generic_taint_reason)
    except ValueError as err:
        return ScheduleResult(None, {}, f"0/{len(nodes)} nodes are available: {err}.")
    feasible, failed = _filter_all(pod, nodes, state)
    reasons = {name: result.reasons for name, result in failed.items()}
    if not feasible:
        tail, candidates = "", tuple[str, ...]()
        if cfg.preemption_message:
            tail, candidates = _preemption(pod, nodes, pods, failed, state, namespace_labels)
        return ScheduleResult(None, reasons, fit_error_message(len(nodes), reasons, tail),
                              preemption_candidates=candidates)
    if len(feasible) == 1:
        return ScheduleResult(feasible[0], reasons)
    infos = [state.snapshot.get(name) for name in feasible]
    scores = score_nodes(pod, infos, state.snapshot, cfg.weights)
    return ScheduleResult(_select(scores, cfg), reasons, scores=scores)
