"""Scheduler logic of the local cluster: pure functions with upstream kube-scheduler semantics.

Objects are plain dicts in Kubernetes JSON form; nothing here does I/O. Entry points:
`schedule(pod, nodes, pods) -> ScheduleResult`, `prefilter(...)` plus the filter functions
`(pod, node, state) -> FilterResult` and the score helpers (quantities: localcluster.quantity).
"""

from .filters import (
    FILTERS,
    node_affinity,
    node_name,
    node_resources_fit,
    node_unschedulable,
    run_filters,
    taint_toleration,
)
from .interpod import inter_pod_affinity, interpod_scores
from .result import FilterResult
from .schedule import SchedulerConfig, ScheduleResult, fit_error_message, schedule
from .scoring import DEFAULT_WEIGHTS, plugin_scores, score_nodes
from .snapshot import NodeInfo, Snapshot, build_snapshot
from .spread import pod_topology_spread, spread_scores
from .state import CycleState, prefilter

__all__ = [
    "DEFAULT_WEIGHTS",
    "FILTERS",
    "CycleState",
    "FilterResult",
    "NodeInfo",
    "ScheduleResult",
    "SchedulerConfig",
    "Snapshot",
    "build_snapshot",
    "fit_error_message",
    "inter_pod_affinity",
    "interpod_scores",
    "node_affinity",
    "node_name",
    "node_resources_fit",
    "node_unschedulable",
    "plugin_scores",
    "pod_topology_spread",
    "prefilter",
    "run_filters",
    "schedule",
    "score_nodes",
    "spread_scores",
    "taint_toleration",
]
