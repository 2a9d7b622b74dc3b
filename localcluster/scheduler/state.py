"""CycleState: everything computed once per scheduling attempt (upstream's PreFilter results).

`prefilter(pod, nodes, pods)` builds the snapshot and the per-plugin states; every filter function then has the
form `(pod, node, state) -> FilterResult`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .interpod import InterPodState, compute_interpod_state
from .objects import pod_requests
from .snapshot import Snapshot, build_snapshot
from .spread import SpreadState, compute_spread_state

__all__ = ["CycleState", "prefilter", "prefilter_snapshot"]

Obj = Mapping[str, Any]


@dataclass
class CycleState:
    """Pre-computed data for one pod's scheduling cycle."""

    pod: Obj
    snapshot: Snapshot
    pod_requests: dict[str, int]
    spread: SpreadState
    interpod: InterPodState
    generic_taint_reason: bool = False


def prefilter_snapshot(pod: Obj, snapshot: Snapshot, generic_taint_reason: bool = False) -> CycleState:
    """Compute the cycle state of `pod` against an existing snapshot."""
    return CycleState(
        pod=pod,
        snapshot=snapshot,
        pod_requests=pod_requests(pod),
        spread=compute_spread_state(pod, snapshot),
        interpod=compute_interpod_state(pod, snapshot),
        generic_taint_reason=generic_taint_reason,
    )


def prefilter(
    pod: Obj,
    nodes: Sequence[Obj],
    pods: Iterable[Obj],
    *,
    namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
    generic_taint_reason: bool = False,
) -> CycleState:
    """Build the snapshot from nodes and (bound) pods, then the cycle state of `pod`.

    Raises ValueError (naming the object and field) on unparseable quantities or malformed constraints.
    """
    snapshot = build_snapshot(nodes, pods, namespace_labels, exclude=pod)
    return prefilter_snapshot(pod, snapshot, generic_taint_reason)
