"""Replica proposals for Object and External metrics, as upstream's replica_calculator.go computes them.

These metrics are not per pod: the value comes from one object (Object) or from a list of series summed
(External). A `Value` target scales the ready pod count by the usage ratio (from zero replicas it proposes
ceil(ratio)); an `AverageValue` target proposes ceil(total / target) once the ratio leaves the tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from localcluster.hpa.pods import PodInfo
from localcluster.hpa.replicas import PlainResult, ReplicaCalcError, Tolerances

__all__ = [
    "external_metric_replicas",
    "external_per_pod_replicas",
    "object_metric_replicas",
    "object_per_pod_replicas",
]


def _ready_pods(pods: Sequence[PodInfo]) -> int:
    if not pods:
        raise ReplicaCalcError(
            "unable to calculate ready pods: no pods returned by selector while calculating replica count")
    return sum(1 for p in pods if p.phase == "Running" and p.ready == "True")


def _ratio_replicas(current: int, ratio: float, pods: Sequence[PodInfo], tolerances: Tolerances) -> int:
    """Upstream `getUsageRatioReplicaCount`."""
    if current == 0:
        return math.ceil(ratio)  # scale from zero: no tolerance, no ready-pod count
    if tolerances.is_within(ratio):
        return current
    return math.ceil(ratio * _ready_pods(pods))


def _per_pod(status_replicas: int, target_average: int, usage: int, tolerances: Tolerances) -> PlainResult:
    if status_replicas <= 0:
        return PlainResult(math.ceil(usage / target_average), usage, None)
    replicas = status_replicas
    if not tolerances.is_within(usage / (target_average * status_replicas)):
        replicas = math.ceil(usage / target_average)
    return PlainResult(replicas, math.ceil(usage / status_replicas), None)


def object_metric_replicas(current: int, target_value: int, usage: int, pods: Sequence[PodInfo],
                           tolerances: Tolerances = Tolerances()) -> PlainResult:
    """Upstream `GetObjectMetricReplicas` (Object metric, Value target)."""
    return PlainResult(_ratio_replicas(current, usage / target_value, pods, tolerances), usage, None)


def object_per_pod_replicas(status_replicas: int, target_average: int, usage: int,
                            tolerances: Tolerances = Tolerances()) -> PlainResult:
    """Upstream `GetObjectPerPodMetricReplicas` (Object metric, AverageValue target)."""
    return _per_pod(status_replicas, target_average, usage, tolerances)


def external_metric_replicas(current: int, target_value: int, values: Sequence[int], pods: Sequence[PodInfo],
                             tolerances: Tolerances = Tolerances()) -> PlainResult:
    """Upstream `GetExternalMetricReplicas` (External metric, Value target: the series are summed)."""
    usage = sum(values)
    return PlainResult(_ratio_replicas(current, usage / target_value, pods, tolerances), usage, None)


def external_per_pod_replicas(status_replicas: int, target_average: int, values: Sequence[int],
                              tolerances: Tolerances = Tolerances()) -> PlainResult:
    """Upstream `GetExternalPerPodMetricReplicas` (External metric, AverageValue target)."""
    return _per_pod(status_replicas, target_average, sum(values), tolerances)
