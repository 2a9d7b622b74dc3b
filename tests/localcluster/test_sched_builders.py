"""Object builders for the scheduler tests, modelled on upstream's pkg/scheduler/testing wrappers.

`Pod("p").label("foo").node("node-a").spread(...)` mirrors `st.MakePod().Name("p").Label("foo", "")...` so the
upstream-derived tables read like their Go originals. This module holds no tests.
"""

from __future__ import annotations

import copy
from typing import Any

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"


def exists(key: str) -> dict[str, Any]:
    """LabelSelector `key exists` (upstream st.MakeLabelSelector().Exists(key))."""
    return {"matchExpressions": [{"key": key, "operator": "Exists"}]}


def expr(key: str, op: str, values: list[str] | None = None) -> dict[str, Any]:
    """One matchExpressions item."""
    out: dict[str, Any] = {"key": key, "operator": op}
    if values is not None:
        out["values"] = list(values)
    return out


FOO = exists("foo")
BAR = exists("bar")
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "value": "", "effect": "NoSchedule"}


class Pod:
    """Fluent pod builder; `.obj()` returns a deep copy of the dict."""

    def __init__(self, name: str = "p") -> None:
        self._o: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {}},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Pending"},
        }

    def namespace(self, ns: str) -> Pod:
        self._o["metadata"]["namespace"] = ns
        return self

    def label(self, key: str, value: str = "") -> Pod:
        self._o["metadata"]["labels"][key] = value
        return self

    def labels(self, labels: dict[str, str]) -> Pod:
        self._o["metadata"]["labels"].update(labels)
        return self

    def node(self, name: str) -> Pod:
        self._o["spec"]["nodeName"] = name
        self._o["status"]["phase"] = "Running"
        return self

    def phase(self, phase: str) -> Pod:
        self._o["status"]["phase"] = phase
        return self

    def terminating(self) -> Pod:
        self._o["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
        return self

    def priority(self, value: int) -> Pod:
        self._o["spec"]["priority"] = value
        return self

    def set(self, key: str, value: Any) -> Pod:
        self._o["spec"][key] = value
        return self

    def requests(self, *containers: dict[str, Any], init: list[dict[str, Any]] | None = None) -> Pod:
        self._o["spec"]["containers"] = [
            {"name": f"c{i}", "resources": {"requests": dict(r)}} for i, r in enumerate(containers)
        ]
        if init:
            self._o["spec"]["initContainers"] = [
                {"name": f"i{i}", "resources": {"requests": dict(r)}} for i, r in enumerate(init)
            ]
        return self

    def tolerations(self, *tolerations: dict[str, Any]) -> Pod:
        self._o["spec"]["tolerations"] = [dict(t) for t in tolerations]
        return self

    def node_selector(self, selector: dict[str, str]) -> Pod:
        self._o["spec"]["nodeSelector"] = dict(selector)
        return self

    def node_affinity(self, key: str, op: str, values: list[str]) -> Pod:
        terms = [{"matchExpressions": [expr(key, op, values)]}]
        self._affinity("nodeAffinity")["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": terms
        }
        return self

    def spread(self, max_skew: int, key: str, when: str, selector: dict[str, Any] | None, **extra: Any) -> Pod:
        constraint = {"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when}
        if selector is not None:
            constraint["labelSelector"] = copy.deepcopy(selector)
        constraint.update(extra)
        self._o["spec"].setdefault("topologySpreadConstraints", []).append(constraint)
        return self

    def _affinity(self, kind: str) -> dict[str, Any]:
        return self._o["spec"].setdefault("affinity", {}).setdefault(kind, {})

    def term(self, kind: str, term: dict[str, Any], weight: int | None = None) -> Pod:
        """Add a raw PodAffinityTerm; required unless `weight` is given."""
        section = self._affinity(kind)
        if weight is None:
            section.setdefault("requiredDuringSchedulingIgnoredDuringExecution", []).append(term)
        else:
            section.setdefault("preferredDuringSchedulingIgnoredDuringExecution", []).append(
                {"weight": weight, "podAffinityTerm": term}
            )
        return self

    def affinity(self, kind: str, key: str, op: str, topology: str, values: list[str] | None = None) -> Pod:
        """Required term with one expression, like upstream's PodAffinityIn / PodAntiAffinityExists."""
        term = {"labelSelector": {"matchExpressions": [expr(key, op, values)]}, "topologyKey": topology}
        return self.term(kind, term)

    def obj(self) -> dict[str, Any]:
        return copy.deepcopy(self._o)


def node(
    name: str,
    labels: dict[str, str] | None = None,
    *,
    taints: list[dict[str, Any]] | None = None,
    unschedulable: bool = False,
    allocatable: dict[str, str] | None = None,
    ready: str | None = None,
) -> dict[str, Any]:
    """A node dict (allocatable defaults to 4 cpu / 16Gi / 110 pods)."""
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = copy.deepcopy(taints)
    if unschedulable:
        spec["unschedulable"] = True
    status: dict[str, Any] = {"allocatable": allocatable or {"cpu": "4", "memory": "16Gi", "pods": "110"}}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": ready}]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": dict(labels or {})},
        "spec": spec,
        "status": status,
    }
