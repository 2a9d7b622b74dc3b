"""The columns and types of every parquet file of a run directory, as plain Python (no pyarrow import).

A column is ``(name, type)`` with type one of :data:`TYPES`. Cluster tables also say how much a reader may rely
on each column:

- ``CORE``: every observer writes it; a reader may require it (a file without it is an error);
- ``LATE``: added after the first runs were recorded; a reader must cope with its absence;
- ``EXTRA``: written for people and for later use; no check relies on it.

:mod:`rundir.schemas` turns these into pyarrow schemas. ``docs/run-directory.md`` describes them for people.
"""

from __future__ import annotations

from typing import Final

Column = tuple[str, str]
TYPES: Final = ("string", "bool", "float64", "int32", "int64", "list<float32>")

STREAMS: tuple[Column, ...] = (
    ("stream_id", "string"),
    ("worker", "string"),
    ("endpoint", "string"),
    ("stage", "string"),
    ("open_loop", "bool"),
    ("scheduled", "float64"),
    ("sent", "float64"),
    ("headers", "float64"),
    ("first_token", "float64"),
    ("last_token", "float64"),
    ("end", "float64"),
    ("status", "int32"),
    ("outcome", "string"),
    ("error", "string"),
    ("events", "int32"),
    ("bytes", "int64"),
    ("usage_tokens", "int32"),
    ("gap_count", "int32"),
    ("gap_mean", "float64"),
    ("gap_p50", "float64"),
    ("gap_p99", "float64"),
    ("gap_max", "float64"),
    ("gap_sample", "list<float32>"),
    ("pod", "string"),
    ("request_id", "string"),
    ("agent_id", "string"),
    ("prompt_chars", "int32"),
    ("max_tokens", "int32"),
    ("expected_s", "float64"),
)
STREAM_COLUMNS: tuple[str, ...] = tuple(name for name, _ in STREAMS)
# Added after the first version of the format: a whole-table read takes them when the file has them, so older
# run directories stay readable (a read that names such a column still requires it).
STREAMS_LATE = ("expected_s",)
# Low-cardinality string columns: readers keep them as dictionary arrays (pandas categoricals).
STREAMS_DICTIONARY_COLUMNS = ("worker", "endpoint", "stage", "outcome", "error", "pod", "agent_id")

STAGES: tuple[Column, ...] = (
    ("stage", "string"), ("start", "float64"), ("end", "float64"), ("users", "int32"), ("rate", "float64"),
    ("spawn_rate", "float64"), ("kind", "string"),
)
LOADGEN: tuple[Column, ...] = (
    ("time", "float64"), ("worker", "string"), ("cpu_percent", "float64"), ("active_streams", "int32"),
    ("users", "int32"), ("dispatch_lag_p99", "float64"), ("dropped", "int32"),
)

# chaos/marks.parquet; `hard` and `intended` are LATE (older runs lack them: read as false / null).
MARKS: tuple[Column, ...] = (
    ("experiment", "string"), ("activity", "string"), ("kind", "string"), ("start", "float64"),
    ("end", "float64"), ("status", "string"), ("hard", "bool"), ("intended", "string"),
)
MARKS_LATE = ("hard", "intended")

CORE, LATE, EXTRA = "core", "late", "extra"
S, F, I, B = "string", "float64", "int32", "bool"  # noqa: E741


def _t(*columns: tuple[str, str, str]) -> tuple[tuple[str, str, str], ...]:
    return (("time", F, CORE), *columns)


# cluster/<table>.parquet: one row per object per observer sample (harness/observer_rows.py writes them).
CLUSTER: dict[str, tuple[tuple[str, str, str], ...]] = {
    "deployments": _t(("name", S, CORE), ("generation", I, EXTRA), ("observed_generation", I, EXTRA),
                      ("spec_replicas", I, CORE), ("replicas", I, CORE), ("updated", I, EXTRA), ("ready", I, CORE),
                      ("available", I, EXTRA), ("unavailable", I, EXTRA), ("restarted_at", S, EXTRA),
                      ("anti_affinity_required", S, CORE), ("spread", S, CORE), ("grace_s", F, LATE),
                      ("prestop_s", F, LATE), ("server_drain_s", F, LATE), ("agent_timeout_s", F, LATE)),
    "replicasets": _t(("name", S, CORE), ("revision", S, EXTRA), ("template_hash", S, CORE),
                      ("spec_replicas", I, EXTRA), ("replicas", I, EXTRA), ("ready", I, EXTRA),
                      ("available", I, EXTRA)),
    "pods": _t(("pod", S, CORE), ("uid", S, LATE), ("node", S, CORE), ("zone", S, CORE), ("phase", S, CORE),
               ("ready", B, CORE), ("terminating", B, CORE), ("restarts", I, EXTRA), ("created", F, CORE),
               ("ready_since", F, CORE), ("deleted_at", F, CORE), ("template_hash", S, CORE), ("pod_ip", S, EXTRA),
               ("scheduled", B, CORE), ("unschedulable_reason", S, CORE), ("start_time", F, LATE),
               ("ready_transition", F, LATE), ("cpu_request", F, LATE), ("memory_request", F, LATE)),
    "nodes": _t(("node", S, CORE), ("zone", S, CORE), ("unschedulable", B, CORE), ("ready", S, CORE),
                ("taints", S, EXTRA)),
    "hpa": _t(("name", S, CORE), ("min_replicas", I, CORE), ("max_replicas", I, CORE), ("current_replicas", I, CORE),
              ("desired_replicas", I, CORE), ("last_scale_time", F, LATE), ("cpu_utilization", F, LATE),
              ("cpu_target", F, LATE), ("metrics", S, LATE), ("behavior", S, CORE), ("conditions", S, LATE),
              ("target_ref", S, LATE), ("metric_values", S, LATE)),
    "pdb": _t(("name", S, CORE), ("min_available", S, EXTRA), ("max_unavailable", S, EXTRA),
              ("expected_pods", I, EXTRA), ("desired_healthy", I, CORE), ("current_healthy", I, CORE),
              ("disruptions_allowed", I, CORE), ("generation", I, EXTRA), ("observed_generation", I, EXTRA)),
    "endpoints": _t(("slice", S, EXTRA), ("service", S, EXTRA), ("pod", S, CORE), ("address", S, EXTRA),
                    ("port", I, EXTRA), ("ready", B, CORE), ("serving", B, CORE), ("terminating", B, CORE),
                    ("node", S, EXTRA), ("zone", S, EXTRA)),
    "events": _t(("type", S, CORE), ("reason", S, CORE), ("message", S, CORE), ("kind", S, CORE),
                 ("object", S, CORE), ("count", I, EXTRA), ("first", F, EXTRA), ("last", F, EXTRA),
                 ("source", S, EXTRA)),
    "gaps": _t(("source", S, CORE), ("error", S, CORE)),
    "pod_metrics": _t(("pod", S, CORE), ("cpu", F, CORE), ("memory", F, CORE), ("timestamp", F, CORE),
                      ("window", F, CORE)),
}


# cluster/alerts.parquet and cluster/alert_rules.parquet: the run's Prometheus, once a second
# (harness/alerts_recorder.py writes them; absent when the target has no Prometheus).
ALERTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "alerts": _t(("alert", S, CORE), ("group", S, CORE), ("state", S, CORE), ("active_at", F, CORE),
                 ("labels", S, CORE), ("value", F, CORE)),
    "alert_rules": _t(("group", S, CORE), ("rule", S, CORE), ("health", S, CORE), ("last_error", S, CORE),
                      ("expr", S, CORE), ("for_s", F, CORE), ("range_s", F, CORE), ("metrics", S, CORE),
                      ("missing", S, CORE), ("top_buckets", S, CORE), ("state", S, EXTRA), ("interval_s", F, CORE)),
}
TABLES = {**CLUSTER, **ALERTS}  # every cluster/<table>.parquet


def cluster_columns(table: str, *tiers: str) -> tuple[str, ...]:
    """Names of ``cluster/<table>.parquet`` columns in the given tiers (all when none is given), in file order."""
    return tuple(name for name, _, tier in TABLES[table] if not tiers or tier in tiers)


def cluster_types(table: str) -> tuple[Column, ...]:
    """``(name, type)`` of every column of ``cluster/<table>.parquet``, in file order."""
    return tuple((name, kind) for name, kind, _ in TABLES[table])
