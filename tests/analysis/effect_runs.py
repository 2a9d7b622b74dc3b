"""Observed timelines (1 s samples over 60 s) of each experiment with its fault made to happen or made a no-op,
for the effect checks (`analysis/checks/effects.py`). Times are seconds after T0; the baseline is taken at 5 s,
the fault starts at 10 s, the experiment's `effect` record is written at 50 s with a 10 s tail."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from cluster_runs import T0, cluster, pod_name, streams

from analysis.cluster import CLUSTER_COLUMNS, ClusterData


def _kinds() -> dict[str, str]:
    """experiment -> the effect its method waits for, read from experiments/*.yaml."""
    out = {}
    for path in sorted((Path(__file__).resolve().parents[2] / "experiments").glob("*.yaml")):
        for step in yaml.safe_load(path.read_text())["method"]:
            if step["provider"].get("func") == "fault_took_effect":
                out[path.stem] = step["provider"]["arguments"]["effect"]
    return out


KINDS = _kinds()
NODES = {f"node-{z}{i}": f"zone-{z}" for z in "abc" for i in (1, 2)}
BASE = {pod_name(i): (f"node-{z}1", f"zone-{z}") for i, z in zip(range(3), "abc", strict=True)}
TAIL = 10.0


@dataclass
class Pod:
    node: str
    first: float = 0.0
    last: float = 1e9  # last sample it is present at
    ready_from: float = 0.0
    ready_until: float = 1e9
    terminating_from: float = 1e9


@dataclass
class Timeline:
    pods: dict[str, Pod] = field(default_factory=lambda: {p: Pod(n) for p, (n, _) in BASE.items()})
    cordoned: dict[str, float] = field(default_factory=dict)  # node -> from
    not_ready: dict[str, float] = field(default_factory=dict)
    cpu: float = 20.0
    desired: int = 3
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    effect: dict[str, Any] = field(default_factory=dict)

    def kill(self, pod: str, at: float, new: str, node: str, ready: float) -> None:
        self.pods[pod].terminating_from, self.pods[pod].last = at, at + 2
        self.pods[new] = Pod(node, first=at + 1, ready_from=ready)


def happened(experiment: str) -> Timeline:
    """The fault of `experiment` took effect: the timeline the observer would record."""
    tl, kind, victim = Timeline(), KINDS[experiment], pod_name(1)
    if kind in ("pods-replaced", "long-stream-pods-terminated"):
        tl.kill(victim, 10, pod_name("n1"), "node-b2", 20)
        if kind == "long-stream-pods-terminated":
            tl.effect["target_pods"] = [victim]
            tl.records["terminations"] = [{"terminated": [victim], "time": T0 + 10}]
    elif kind == "all-pods-replaced":
        for i, z in enumerate("abc"):
            tl.kill(pod_name(i), 10 + 4 * i, pod_name(f"n{i}"), f"node-{z}2", 14 + 4 * i)
    elif kind in ("nodes-drained", "zone-drained"):
        tl.cordoned = {"node-b1": 10} if kind == "nodes-drained" else {"node-b1": 10, "node-b2": 10}
        tl.kill(victim, 11, pod_name("n1"), "node-c2", 20)
        tl.effect["target_nodes"] = sorted(tl.cordoned)
        tl.records["drains"] = [{"nodes": sorted(tl.cordoned), "status": "drained", "denials": [],
                                 "started": T0 + 10, "ended": T0 + 13}]
    elif kind == "zone-failed":
        tl.not_ready = {"node-b1": 12, "node-b2": 12}
        tl.pods[victim].ready_until = 13
    elif kind == "hpa-load":
        tl.cpu, tl.desired = 95.0, 5
    return tl


def no_op(experiment: str) -> Timeline:
    """The same experiment with its fault made a no-op (its selector matched nothing): nothing changed."""
    return Timeline()


def _frames(tl: Timeline, end: float) -> dict[str, pd.DataFrame]:
    times = np.arange(0.0, end + 0.5, 1.0)
    pod_rows, node_rows, hpa_rows = [], [], []
    for t in times:
        for name, p in tl.pods.items():
            if p.first <= t <= p.last:
                ready = p.ready_from <= t < min(p.ready_until, p.terminating_from)
                pod_rows.append({"time": T0 + t, "pod": name, "node": p.node, "zone": NODES[p.node],
                                 "phase": "Running", "ready": ready,
                                 "terminating": t >= p.terminating_from, "created": T0 + p.first,
                                 "ready_since": T0 + p.ready_from, "deleted_at": np.nan, "template_hash": "h",
                                 "scheduled": True, "unschedulable_reason": None})
        for node, zone in NODES.items():
            node_rows.append({"time": T0 + t, "node": node, "zone": zone,
                              "unschedulable": t >= tl.cordoned.get(node, 1e9),
                              "ready": "Unknown" if t >= tl.not_ready.get(node, 1e9) else "True"})
        busy = 10 <= t <= 40
        hpa_rows.append({"time": T0 + t, "name": "agentflow", "min_replicas": 3, "max_replicas": 20,
                         "current_replicas": 3, "desired_replicas": tl.desired if busy else 3, "behavior": None,
                         "cpu_utilization": tl.cpu if busy else 20.0, "cpu_target": 70.0})
    return {"pods": pd.DataFrame(pod_rows, columns=list(CLUSTER_COLUMNS["pods"])), "nodes": pd.DataFrame(node_rows),
            "hpa": pd.DataFrame(hpa_rows)}


def journal(method_failed: bool = False, ran: bool = True, end: float = 55.0) -> dict[str, Any]:
    """A completed journal whose method recorded the workload, ran the fault and waited for its effect."""
    probe = {"activity": {"type": "probe", "name": "fault-took-effect"},
             "status": "failed" if method_failed else "succeeded",
             "exception": ["chaoslib.exceptions.ActivityFailed: the fault had no effect: no pod was deleted"]
             if method_failed else None}
    run = [{"activity": {"type": "probe", "name": "record-workload-before-the-fault"}, "status": "succeeded"},
           {"activity": {"type": "action", "name": "fault"}, "status": "succeeded"}, probe]
    return {"experiment": {"title": "Fault"}, "status": "completed", "deviated": False,
            "start": "2025-11-24T16:00:00+00:00", "end": f"2025-11-24T16:00:{int(end):02d}+00:00",
            "steady_states": {}, "run": run if ran else [], "rollbacks": []}


def run_data(experiment: str, tl: Timeline, observer_end: float = 60.0, load_end: float = 60.0,
             status: str = "complete", with_records: bool = True, **journal_args: Any) -> ClusterData:
    """ClusterData of one experiment run over `tl`, observed until `observer_end` with load until `load_end`."""
    base = {"record": "baseline", "time": T0 + 5, "replicas": 3,
            "pods": [{"pod": p, "uid": f"uid-{p}", "node": n, "zone": z, "ready": True, "terminating": False}
                     for p, (n, z) in BASE.items()],
            "nodes": [{"node": n, "zone": z, "unschedulable": False, "ready": "True"} for n, z in NODES.items()]}
    kind = KINDS[experiment]
    effect = {"record": "effect", "effect": kind, "status": status, "time": T0 + 50, "tail": TAIL,
              "zone": "zone-b" if kind.startswith("zone") else None, "target_pods": [], "target_nodes": [],
              "refused": False, **tl.effect}
    records = {**tl.records, "effects": [base, effect] if with_records else []}
    frame = streams(int(load_end * 5), 0, load_end - 1, e2e=1.0)
    return cluster(stream_frame=frame, records=records, journals={experiment: journal(**journal_args)},
                   **_frames(tl, observer_end))
