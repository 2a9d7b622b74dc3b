"""Snapshots of the workload and the nodes, and how far a fault's effect has come between two of them.

`snapshot` reads the API; `progress` is a pure function of two snapshots and the experiment's own records
(`terminations`, `drains`), so every effect's rule is tested without a cluster.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from experiments.afchaos.k8s import LOCAL_FAULT, ZONE_LABEL, Api, ready

EFFECTS = ("pods-replaced", "all-pods-replaced", "long-stream-pods-terminated", "nodes-drained", "zone-drained",
           "zone-failed", "hpa-load")
NODE_EFFECTS = ("nodes-drained", "zone-drained", "zone-failed")

__all__ = ["EFFECTS", "Progress", "Snapshot", "progress", "snapshot"]


@dataclass
class Snapshot:
    """Pods (name -> row) of the workload and nodes (name -> row) at `time`; `replicas` = the Deployment's
    spec.replicas (None when it could not be read)."""

    time: float
    pods: dict[str, dict[str, Any]]
    nodes: dict[str, dict[str, Any]]
    replicas: int | None = None

    def to_record(self) -> dict[str, Any]:
        return {"time": self.time, "replicas": self.replicas, "pods": list(self.pods.values()),
                "nodes": list(self.nodes.values())}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Snapshot:
        return cls(float(record["time"]), {p["pod"]: dict(p) for p in record.get("pods") or []},
                   {n["node"]: dict(n) for n in record.get("nodes") or []}, record.get("replicas"))


def pod_row(pod: Mapping[str, Any], zones: Mapping[str, str | None]) -> dict[str, Any]:
    md, spec = pod["metadata"], pod.get("spec") or {}
    node = spec.get("nodeName")
    return {"pod": md["name"], "uid": md.get("uid"), "node": node, "zone": zones.get(node or ""),
            "ready": ready(pod), "terminating": md.get("deletionTimestamp") is not None}


def node_row(node: Mapping[str, Any]) -> dict[str, Any]:
    md = node["metadata"]
    cond: dict[str, Any] = next(
        (c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {})
    return {"node": md["name"], "zone": (md.get("labels") or {}).get(ZONE_LABEL),
            "unschedulable": bool((node.get("spec") or {}).get("unschedulable")),
            "ready": cond.get("status"), "fault": (md.get("annotations") or {}).get(LOCAL_FAULT)}


def snapshot(api: Api, ns: str, selector: str, deployment: str | None) -> Snapshot:
    nodes = {n["metadata"]["name"]: node_row(n) for n in api.items("/api/v1/nodes")}
    zones = {name: row["zone"] for name, row in nodes.items()}
    pods = {p["metadata"]["name"]: pod_row(p, zones)
            for p in api.items(f"/api/v1/namespaces/{ns}/pods", labelSelector=selector)}
    replicas = None
    if deployment:
        replicas = int(api.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{deployment}")["spec"].get("replicas", 1))
    return Snapshot(time.time(), pods, nodes, replicas)


@dataclass
class Progress:
    """How far the effect has come. `started`: something the fault was to change has changed;
    `complete`: the whole effect is there (see the table in the package docstring)."""

    effect: str
    target_pods: list[str] = field(default_factory=list)
    target_nodes: list[str] = field(default_factory=list)
    changed_pods: list[str] = field(default_factory=list)
    gone_pods: list[str] = field(default_factory=list)
    affected_nodes: list[str] = field(default_factory=list)
    replacements: list[str] = field(default_factory=list)
    needed: int = 0
    refused: bool = False
    started: bool = False
    complete: bool = False
    waiting_for: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _targets(effect: str, base: Snapshot, now: Snapshot, records: Mapping[str, Sequence[Mapping[str, Any]]],
             zone: str | None) -> tuple[list[str], list[str]]:
    """(pods, nodes) the fault was to change."""
    def gone_or_terminating(name: str) -> bool:
        return name not in now.pods or bool(now.pods[name]["terminating"])

    if effect == "pods-replaced":
        return sorted(p for p in base.pods if gone_or_terminating(p)), []
    if effect == "all-pods-replaced":
        return sorted(base.pods), []
    if effect == "long-stream-pods-terminated":
        return sorted({p for r in records.get("terminations") or () for p in r.get("terminated") or ()}), []
    if effect == "nodes-drained":
        nodes = sorted({n for r in records.get("drains") or () for n in r.get("nodes") or ()})
    elif effect in ("zone-drained", "zone-failed"):
        nodes = sorted(n for n, row in {**base.nodes, **now.nodes}.items() if zone is not None and row["zone"] == zone)
    else:
        return [], []
    return sorted(p for p, row in base.pods.items() if row["node"] in nodes), nodes


def _node_affected(effect: str, row: Mapping[str, Any] | None) -> bool:
    if row is None:
        return True  # the node object is gone
    if effect == "zone-failed":
        return row["ready"] != "True" or bool(row["unschedulable"])
    return bool(row["unschedulable"])


def progress(effect: str, base: Snapshot, now: Snapshot, records: Mapping[str, Sequence[Mapping[str, Any]]],
             zone: str | None = None) -> Progress:
    """Compare `now` with the baseline for `effect` (one of EFFECTS)."""
    if effect not in EFFECTS:
        raise ValueError(f"effect {effect!r}: choose one of {', '.join(EFFECTS)}")
    pods, nodes = _targets(effect, base, now, records, zone)
    out = Progress(effect, target_pods=pods, target_nodes=nodes)
    out.changed_pods = [p for p in pods if p not in now.pods or now.pods[p]["terminating"]]
    out.gone_pods = [p for p in pods if p not in now.pods]
    out.affected_nodes = [n for n in nodes if _node_affected(effect, now.nodes.get(n))]
    out.replacements = sorted(p for p, row in now.pods.items()
                              if p not in base.pods and row["ready"] and not row["terminating"])
    out.refused = any(r.get("status") == "stuck" and r.get("denials") for r in records.get("drains") or ())
    out.needed = len(pods)
    if effect == "all-pods-replaced" and base.replicas is not None:
        out.needed = min(len(pods), base.replicas)
    if effect in ("zone-drained", "zone-failed"):
        out.needed = 0  # replacements may rightly stay Pending while the zone is out (zone spread DoNotSchedule)
    out.started = bool(out.changed_pods or out.affected_nodes)
    out.waiting_for = _waiting_for(effect, out, now)
    out.complete = out.started and not out.waiting_for
    return out


def _waiting_for(effect: str, out: Progress, now: Snapshot) -> str:
    """What is still missing for the whole effect ('' when nothing is)."""
    if effect == "hpa-load":
        return ""
    if effect in NODE_EFFECTS:
        if not out.target_nodes:
            return "no node to act on"
        missing = [n for n in out.target_nodes if n not in out.affected_nodes]
        if missing:
            verb = "NotReady or cordoned" if effect == "zone-failed" else "cordoned"
            return f"node(s) not yet {verb}: {', '.join(missing)}"
        if effect == "zone-failed":
            still = [p for p in out.target_pods if p in now.pods and now.pods[p]["ready"]]
            return f"pod(s) in the zone still Ready: {', '.join(still)}" if still else ""
        if out.refused:
            return ""  # the drain was refused by a PodDisruptionBudget: cordoned, evictions denied (the finding)
    elif not out.target_pods:
        return "no pod was deleted"
    remaining = [p for p in out.target_pods if p not in out.gone_pods]
    if remaining:
        return f"pod(s) not yet gone: {', '.join(remaining)}"
    if len(out.replacements) < out.needed:
        return f"{len(out.replacements)} of {out.needed} replacement pod(s) Ready"
    return ""
