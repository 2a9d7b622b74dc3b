"""The scheduler's view of the cluster for one scheduling cycle: nodes with the pods bound to them.

Mirrors upstream's cache snapshot / NodeInfo: a pod counts on a node when `spec.nodeName` names the node and
the pod is not terminal (Succeeded/Failed); terminating pods still count. Pods bound to names that are not in
`nodes` are ignored, as are unbound pods. Requests are summed twice: actual (for the fit filter and balanced
allocation) and "non-zero" (missing requests as 100m/200Mi, for least-allocated scoring).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .objects import (
    add_resources,
    effective_taints,
    is_terminal,
    labels_of,
    name_of,
    node_allocatable,
    node_name_of,
    pod_key,
    pod_requests,
)

__all__ = ["NodeInfo", "Snapshot", "build_snapshot"]

Obj = Mapping[str, Any]


@dataclass
class NodeInfo:
    """One node and what is bound to it."""

    node: Obj
    name: str
    labels: Mapping[str, str]
    taints: list[Obj]
    allocatable: dict[str, int]
    pods: list[Obj] = field(default_factory=list)
    requested: dict[str, int] = field(default_factory=dict)
    nonzero_requested: dict[str, int] = field(default_factory=dict)

    def add_pod(self, pod: Obj) -> None:
        """Account a pod bound to this node."""
        self.pods.append(pod)
        add_resources(self.requested, pod_requests(pod))
        add_resources(self.nonzero_requested, pod_requests(pod, non_zero=True))


@dataclass
class Snapshot:
    """All nodes in input order, by name, plus namespace labels for namespaceSelector terms."""

    node_infos: list[NodeInfo]
    by_name: dict[str, NodeInfo]
    namespace_labels: Mapping[str, Mapping[str, str]]

    def ns_labels(self, namespace: str) -> Mapping[str, str]:
        """Labels of a namespace ({} when unknown)."""
        return self.namespace_labels.get(namespace) or {}

    def get(self, node: Obj | str) -> NodeInfo:
        """The NodeInfo of a node (dict or name); KeyError with a clear message when unknown."""
        name = node if isinstance(node, str) else name_of(node)
        try:
            return self.by_name[name]
        except KeyError:
            raise KeyError(f"node {name!r} is not in the scheduling snapshot; pass it in `nodes`") from None


def _same_pod(a: Obj, b: Obj) -> bool:
    uid_a = (a.get("metadata") or {}).get("uid")
    uid_b = (b.get("metadata") or {}).get("uid")
    if uid_a and uid_b:
        return uid_a == uid_b
    return bool(name_of(a)) and pod_key(a) == pod_key(b)


def build_snapshot(
    nodes: Sequence[Obj],
    pods: Iterable[Obj],
    namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
    exclude: Obj | None = None,
) -> Snapshot:
    """Build the snapshot; `exclude` drops the pod being scheduled if it also appears in `pods`."""
    infos: list[NodeInfo] = []
    by_name: dict[str, NodeInfo] = {}
    for node in nodes:
        name = name_of(node)
        if not name:
            raise ValueError("node without metadata.name: every node needs a name")
        if name in by_name:
            raise ValueError(f"node {name!r} given twice")
        info = NodeInfo(node, name, labels_of(node), effective_taints(node), node_allocatable(node))
        infos.append(info)
        by_name[name] = info
    for pod in pods:
        target = by_name.get(node_name_of(pod))
        if target is None or is_terminal(pod):
            continue
        if exclude is not None and _same_pod(pod, exclude):
            continue
        target.add_pod(pod)
    return Snapshot(infos, by_name, dict(namespace_labels or {}))
