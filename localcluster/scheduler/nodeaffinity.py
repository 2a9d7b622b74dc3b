"""Node selection by a pod: `spec.nodeSelector` and node affinity (required and preferred terms).

Semantics follow upstream's component-helpers `nodeaffinity`: the nodeSelector map and the required
`nodeSelectorTerms` must both match; terms are ORed, the expressions inside one term ANDed; a term with no
expressions and no fields matches nothing. Operators: In, NotIn, Exists, DoesNotExist, Gt, Lt (integers);
`matchFields` supports `metadata.name` with In/NotIn. Pod label selectors use `localcluster.selectors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from localcluster.selectors import match_label_selector

from .objects import labels_of, name_of

__all__ = [
    "label_selector_matches",
    "preferred_node_affinity_score",
    "required_node_affinity_matches",
]

Obj = Mapping[str, Any]


def label_selector_matches(selector: Obj | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector object: None selects nothing, {} selects everything (upstream semantics)."""
    return match_label_selector(selector, labels)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _requirement_matches(expr: Obj, labels: Mapping[str, str]) -> bool:
    key = expr.get("key", "")
    op = expr.get("operator")
    values = [str(v) for v in expr.get("values") or []]
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt"):
        have = _int(labels.get(key, "")) if key in labels else None
        want = _int(values[0]) if len(values) == 1 else None
        if have is None or want is None:
            return False
        return have > want if op == "Gt" else have < want
    return False


def _field_matches(expr: Obj, node_name: str) -> bool:
    if expr.get("key") != "metadata.name":
        return False
    values = [str(v) for v in expr.get("values") or []]
    if expr.get("operator") == "In":
        return node_name in values
    if expr.get("operator") == "NotIn":
        return node_name not in values
    return False


def _term_matches(term: Obj, node: Obj) -> bool:
    exprs: Sequence[Obj] = term.get("matchExpressions") or []
    fields: Sequence[Obj] = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    labels = labels_of(node)
    if not all(_requirement_matches(e, labels) for e in exprs):
        return False
    return all(_field_matches(f, name_of(node)) for f in fields)


def _node_affinity(pod: Obj) -> Obj:
    return ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}


def required_node_affinity_matches(pod: Obj, node: Obj) -> bool:
    """True when the node satisfies the pod's nodeSelector and required node affinity."""
    labels = labels_of(node)
    for key, value in ((pod.get("spec") or {}).get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    return any(_term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])


def preferred_node_affinity_score(pod: Obj, node: Obj) -> int:
    """Sum of the weights of the pod's preferred node-affinity terms the node matches."""
    total = 0
    for pref in _node_affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        if _term_matches(pref.get("preference") or {}, node):
            total += int(pref.get("weight") or 0)
    return total
