"""Filter outcomes and the reason strings upstream kube-scheduler reports (kept byte-identical).

A node that fails a filter carries one or more reasons; `FitError` counts them over all nodes to build the
FailedScheduling message. `unresolvable` mirrors upstream's `UnschedulableAndUnresolvable` code: preemption
cannot help such a node (it matters only for the `preemption:` part of the message).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ERR_AFFINITY_RULES",
    "ERR_ANTI_AFFINITY_RULES",
    "ERR_EXISTING_ANTI_AFFINITY",
    "ERR_NODE_AFFINITY",
    "ERR_NODE_NAME",
    "ERR_SPREAD",
    "ERR_SPREAD_MISSING_LABEL",
    "ERR_TOO_MANY_PODS",
    "ERR_UNSCHEDULABLE",
    "ERR_UNTOLERATED_TAINT_GENERIC",
    "FilterResult",
    "untolerated_taint_reason",
]

# NodeUnschedulable
ERR_UNSCHEDULABLE = "node(s) were unschedulable"
# NodeName
ERR_NODE_NAME = "node(s) didn't match the requested node name"
# NodeAffinity (nodeSelector + requiredDuringScheduling node affinity)
ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
# NodeResourcesFit ("Insufficient <resource>" is built per resource)
ERR_TOO_MANY_PODS = "Too many pods"
# InterPodAffinity
ERR_AFFINITY_RULES = "node(s) didn't match pod affinity rules"
ERR_ANTI_AFFINITY_RULES = "node(s) didn't match pod anti-affinity rules"
ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
# PodTopologySpread
ERR_SPREAD = "node(s) didn't match pod topology spread constraints"
ERR_SPREAD_MISSING_LABEL = ERR_SPREAD + " (missing required label)"
# TaintToleration since Kubernetes 1.35 (PR #134740 hides the taint key/value); older releases name the taint.
ERR_UNTOLERATED_TAINT_GENERIC = "node(s) had untolerated taint(s)"


def untolerated_taint_reason(key: str, value: str, generic: bool = False) -> str:
    """TaintToleration's reason: `node(s) had untolerated taint {key: value}` (<= 1.34) or the 1.35 form."""
    if generic:
        return ERR_UNTOLERATED_TAINT_GENERIC
    return f"node(s) had untolerated taint {{{key}: {value}}}"


@dataclass(frozen=True)
class FilterResult:
    """Outcome of one filter on one node: `ok`, the reason(s) when not, and whether preemption could help."""

    ok: bool
    reasons: tuple[str, ...] = ()
    unresolvable: bool = False

    @property
    def reason(self) -> str:
        """All reasons joined with ', ' ('' when ok)."""
        return ", ".join(self.reasons)

    @classmethod
    def success(cls) -> FilterResult:
        """The node passes."""
        return _SUCCESS

    @classmethod
    def fail(cls, *reasons: str, unresolvable: bool = False) -> FilterResult:
        """The node fails for the given upstream reason(s)."""
        return cls(False, tuple(reasons), unresolvable)


_SUCCESS = FilterResult(True)
