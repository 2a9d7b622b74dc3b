"""Small synthetic cluster/chaos frames (columns of harness/observer_rows.py SCHEMAS) for the cluster checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from analysis_runs import default_loadgen, default_stages, make_streams, write_run

from analysis.cluster import CLUSTER_COLUMNS, JSONL_FILES, ClusterData

T0 = 1_764_000_000.0
HASH = "5d4f8c9b7"
DEPLOYMENT = "agentflow"
ANTI = json.dumps([{"labelSelector": {"matchLabels": {"app": "agentflow"}}, "topologyKey": "kubernetes.io/hostname"}])
SPREAD = json.dumps([{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
                      "labelSelector": {"matchLabels": {"app": "agentflow"}}}])


def pod_name(i: int | str) -> str:
    return f"{DEPLOYMENT}-{HASH}-{i}"


def streams(n: int, start: float, end: float, outcome: str = "ok", pod: str | None = None, ttft: float = 0.2,
            e2e: float = 1.0, prefix: str = "s") -> pd.DataFrame:
    """n streams scheduled evenly over [T0+start, T0+end) (sent = scheduled, closed loop)."""
    scheduled = T0 + np.linspace(start, end, n, endpoint=False)
    ok = outcome == "ok"
    return pd.DataFrame({
        "stream_id": [f"{prefix}-{start:g}-{i}" for i in range(n)], "pod": pod, "scheduled": scheduled,
        "sent": scheduled, "headers": scheduled + 0.01, "first_token": scheduled + ttft if ok else np.nan,
        "end": scheduled + e2e, "outcome": outcome, "error": None if ok else "X"})


def pods(samples: list[float], placement: dict[str, tuple[str | None, str | None]],
         overrides: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """One row per pod per sample time (relative s); placement pod -> (node, zone); overrides: pod -> column ->
    a constant or a callable of the relative sample time, e.g. {"ready": lambda t: t > 5}."""
    rows = []
    for t in samples:
        for pod, (node, zone) in placement.items():
            row = {"time": T0 + t, "pod": pod, "node": node, "zone": zone, "phase": "Running", "ready": True,
                   "terminating": False, "created": T0 - 60, "ready_since": T0 - 50, "deleted_at": np.nan,
                   "template_hash": HASH, "scheduled": node is not None, "unschedulable_reason": None}
            for column, values in (overrides or {}).get(pod, {}).items():
                row[column] = values(t) if callable(values) else values
            rows.append(row)
    return pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS["pods"]))


def replicasets() -> pd.DataFrame:
    return pd.DataFrame({"time": [T0], "name": [f"{DEPLOYMENT}-{HASH}"], "template_hash": [HASH]})


def deployments(samples: list[float], spec: Any = 3, ready: Any = 3, anti: str | None = ANTI,
                spread: str | None = SPREAD, replicas: Any = None) -> pd.DataFrame:
    def at(value: Any, t: float) -> Any:
        return value(t) if callable(value) else value

    return pd.DataFrame([{"time": T0 + t, "name": DEPLOYMENT, "spec_replicas": at(spec, t),
                          "replicas": at(replicas if replicas is not None else spec, t), "ready": at(ready, t),
                          "anti_affinity_required": anti, "spread": spread} for t in samples])


def nodes(samples: list[float], placement: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"time": T0 + t, "node": n, "zone": z, "unschedulable": False, "ready": "True"}
                         for t in samples for n, z in placement.items()])


def hpa(samples: list[float], desired: Any, behavior: dict | None = None, lo: int = 2, hi: int = 10) -> pd.DataFrame:
    rows = []
    for t in samples:
        d = desired(t) if callable(desired) else desired
        rows.append({"time": T0 + t, "name": DEPLOYMENT, "min_replicas": lo, "max_replicas": hi, "current_replicas": d,
                     "desired_replicas": d, "behavior": None if behavior is None else json.dumps(behavior)})
    return pd.DataFrame(rows)


def pdb(samples: list[float], floor: int = 2) -> pd.DataFrame:
    return pd.DataFrame([{"time": T0 + t, "name": DEPLOYMENT, "desired_healthy": floor, "current_healthy": 3,
                          "disruptions_allowed": 1} for t in samples])


def endpoints(samples: list[float], ready: dict[str, Any]) -> pd.DataFrame:
    """ready: pod -> callable(t) -> True (ready) / False (not ready) / None (absent)."""
    rows = []
    for t in samples:
        for pod, flag in ready.items():
            value = flag(t)
            if value is not None:
                rows.append({"time": T0 + t, "pod": pod, "ready": value, "serving": True, "terminating": not value})
    return pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS["endpoints"]))


def marks(*spans: tuple[str, float, float]) -> pd.DataFrame:
    return pd.DataFrame([{"experiment": "exp", "activity": a, "kind": "action", "start": T0 + s, "end": T0 + e,
                          "status": "succeeded"} for a, s, e in spans])


def cluster(run_dir: Path | None = None, stream_frame: pd.DataFrame | None = None,
            mark_frame: pd.DataFrame | None = None,
            records: dict[str, list] | None = None, journals: dict | None = None, verdicts: list | None = None,
            **frames: pd.DataFrame) -> ClusterData:
    all_frames = {name: frames.get(name) for name in CLUSTER_COLUMNS}
    all_records = {kind: (records or {}).get(kind) for kind in JSONL_FILES}
    return ClusterData(run_dir or Path("."), all_frames, mark_frame, all_records, journals or {}, verdicts,
                       stream_frame)


CHAOS_SAMPLES = [float(t) for t in range(0, 60, 2)]
CHAOS_PLACED = {pod_name(i): (f"node-{z}1", f"zone-{z}") for i, z in zip(range(3), "abc", strict=True)}


def write_chaos_run(root: Path, stuck: bool = False) -> Path:
    """A 60 s run directory with streams naming pods, every cluster/ file, a fault mark, a drain and a journal."""
    frame = make_streams(300)
    frame["pod"] = [pod_name(i % 3) for i in range(len(frame))]
    run = write_run(root, frame, {"name": "chaos", "slos": {"ttft_p99": 2.0}}, default_stages(), default_loadgen(),
                    name="chaos")
    cluster = run / "cluster"
    cluster.mkdir()
    frames = {
        "pods": pods(CHAOS_SAMPLES, CHAOS_PLACED, {pod_name(0): {"terminating": lambda t: t >= 40}}),
        "deployments": deployments(CHAOS_SAMPLES), "replicasets": replicasets(),
        "nodes": nodes(CHAOS_SAMPLES, {"node-a1": "zone-a", "node-b1": "zone-b", "node-c1": "zone-c"}),
        "hpa": hpa(CHAOS_SAMPLES, 3, lo=3), "pdb": pdb(CHAOS_SAMPLES),
        "endpoints": endpoints(CHAOS_SAMPLES, {p: (lambda t: True) for p in CHAOS_PLACED}),
    }
    for name, data in frames.items():
        pq.write_table(pa.Table.from_pandas(data, preserve_index=False), cluster / f"{name}.parquet")
    chaos = run / "chaos"
    chaos.mkdir()
    pq.write_table(pa.Table.from_pandas(marks(("terminate-pod", 40, 45)), preserve_index=False),
                   chaos / "marks.parquet")
    drain = {"nodes": ["node-a1"], "status": "stuck" if stuck else "drained", "started": T0 + 40, "ended": T0 + 50,
             "evicted": [], "denials": [{"pod": pod_name(0), "time": T0 + 41, "message": "The disruption budget "
                                         "agentflow needs 2 healthy pods and has 2 currently"}],
             "remaining": [pod_name(0)] if stuck else [], "summary": "drain summary"}
    (chaos / "drains.jsonl").write_text(json.dumps(drain) + "\n")
    journal = {"experiment": {"title": "Kill"}, "status": "completed", "deviated": False, "steady_states": {},
               "run": [], "rollbacks": [], "start": "2025-11-24T16:00:40+00:00", "end": "2025-11-24T16:00:50+00:00"}
    (chaos / "pod-kill.journal.json").write_text(json.dumps(journal))
    return run
