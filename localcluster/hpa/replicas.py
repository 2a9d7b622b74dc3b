"""The HPA replica calculator for per-pod metrics, with upstream's semantics.

Follows kubernetes/kubernetes `pkg/controller/podautoscaler/replica_calculator.go` (GetResourceReplicas,
GetRawResourceReplicas, GetMetricReplicas, groupPods, calculateRequests) and `metrics/utilization.go`:

- pods are grouped: deleted or Failed pods are ignored; Pending pods are unready; pods without a sample are
  missing; for CPU only, a pod is also unready when it has no Ready condition or start time, when it is inside
  the CPU initialisation period and is not Ready or its sample does not cover a full window since it became
  Ready, or when it is not Ready and never was (Ready=False set within the initial-readiness delay of start);
- the usage ratio is computed over ready pods (utilisation = integer percent of summed requests);
- with no unready and no missing pods: keep the current count within tolerance, else ceil(ratio * ready);
- otherwise rebalance: on a scale-down missing pods count as 100 % of their request (or the target when it is
  above 100 %; the target value for plain metrics), on a scale-up missing and unready pods count as 0; the
  current count is kept when the new ratio is within tolerance, flips direction, or the count would move
  against the direction.

Times are float epoch seconds; values are integer milli-units. Errors raise `ReplicaCalcError` with upstream's
messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from localcluster.hpa.pods import ZERO_TIME, PodInfo, PodSample

__all__ = [
    "PlainResult",
    "PodGroups",
    "Readiness",
    "ReplicaCalcError",
    "ResourceResult",
    "Tolerances",
    "calculate_requests",
    "group_pods",
    "pods_metric_replicas",
    "raw_resource_replicas",
    "resource_replicas",
]


class ReplicaCalcError(Exception):
    """The replica count could not be computed (message as upstream words it)."""


@dataclass(frozen=True)
class Tolerances:
    """Usage-ratio tolerances: no change while 1 - scale_down <= ratio <= 1 + scale_up."""

    scale_down: float = 0.1
    scale_up: float = 0.1

    def is_within(self, ratio: float) -> bool:
        return (1.0 - self.scale_down) <= ratio <= (1.0 + self.scale_up)


@dataclass(frozen=True)
class Readiness:
    """kube-controller-manager's --horizontal-pod-autoscaler-cpu-initialization-period and
    --horizontal-pod-autoscaler-initial-readiness-delay, in seconds."""

    cpu_initialization_period: float = 300.0
    initial_readiness_delay: float = 30.0


@dataclass(frozen=True)
class PodGroups:
    ready_count: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


@dataclass(frozen=True)
class ResourceResult:
    replicas: int
    utilization: int  # percent of the summed requests of the pods counted
    raw_value: int  # average usage per pod, milli-units
    timestamp: float | None


@dataclass(frozen=True)
class PlainResult:
    replicas: int
    usage: int  # average value per pod, milli-units
    timestamp: float | None


def _cpu_unready(pod: PodInfo, sample: PodSample, now: float, readiness: Readiness) -> bool:
    if pod.ready is None or pod.start_time is None:
        return True
    transition = ZERO_TIME if pod.ready_transition is None else pod.ready_transition
    if pod.start_time + readiness.cpu_initialization_period > now:
        # inside the initialisation period: unready, or no full metric window since it became ready
        return pod.ready == "False" or sample.timestamp < transition + sample.window
    # after it: ignore only a pod that is unready and has never been ready
    return pod.ready == "False" and pod.start_time + readiness.initial_readiness_delay > transition


def group_pods(pods: Sequence[PodInfo], samples: Mapping[str, PodSample], resource: str, now: float,
               readiness: Readiness) -> PodGroups:
    """Upstream `groupPods`: count ready pods, and name the unready, missing and ignored ones."""
    ready, unready, missing, ignored = 0, set(), set(), set()
    for pod in pods:
        if pod.deleted or pod.phase == "Failed":
            ignored.add(pod.name)
        elif pod.phase == "Pending":
            unready.add(pod.name)
        elif pod.name not in samples:
            missing.add(pod.name)
        elif resource == "cpu" and _cpu_unready(pod, samples[pod.name], now, readiness):
            unready.add(pod.name)
        else:
            ready += 1
    return PodGroups(ready, frozenset(unready), frozenset(missing), frozenset(ignored))


def _pod_request(pod: PodInfo, container: str | None, resource: str) -> int:
    if pod.pod_requests and not container:
        if resource not in pod.pod_requests:
            raise ReplicaCalcError(f"missing pod-level request for {resource} in Pod {pod.name}")
        return pod.pod_requests[resource]
    total = 0
    for c in pod.containers:
        if container and c.name != container:
            continue
        if resource not in c.requests:
            raise ReplicaCalcError(f"missing request for {resource} in container {c.name} of Pod {pod.name}")
        total += c.requests[resource]
        if container:
            return total
    if container:
        raise ReplicaCalcError(f"container {container} not found in Pod {pod.name}")
    return total


def calculate_requests(pods: Sequence[PodInfo], container: str | None, resource: str) -> dict[str, int]:
    """Upstream `calculateRequests`: per-pod request (pod-level, one container, or all + sidecars)."""
    return {pod.name: _pod_request(pod, container, resource) for pod in pods}


def _trunc_div(a: int, b: int) -> int:
    """Go's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _utilization(metrics: Mapping[str, int], requests: Mapping[str, int], target: int) -> tuple[float, int, int]:
    total = requested = entries = 0
    for pod, value in metrics.items():
        if pod not in requests:  # metrics of pods we do not know about are ignored here
            continue
        total, requested, entries = total + value, requested + requests[pod], entries + 1
    if requested == 0:
        raise ReplicaCalcError("no metrics returned matched known pods")
    utilization = _trunc_div(total * 100, requested)
    return utilization / target, utilization, _trunc_div(total, entries)


def _usage(metrics: Mapping[str, int], target: int) -> tuple[float, int]:
    usage = _trunc_div(sum(metrics.values()), len(metrics))
    return usage / target, usage


def _rebalanced(current: int, ratio: float, groups: PodGroups, metrics: dict[str, int], tol: Tolerances,
                ratio_of: Callable[[dict[str, int]], float], fallback: Callable[[str], int]) -> int:
    scale_up_with_unready = bool(groups.unready) and ratio > 1.0
    if not scale_up_with_unready and not groups.missing:
        return current if tol.is_within(ratio) else math.ceil(ratio * groups.ready_count)
    filled = dict(metrics)
    if groups.missing and ratio < 1.0:
        filled.update({pod: fallback(pod) for pod in groups.missing})
    elif groups.missing and ratio > 1.0:
        filled.update(dict.fromkeys(groups.missing, 0))
    if scale_up_with_unready:
        filled.update(dict.fromkeys(groups.unready, 0))
    new_ratio = ratio_of(filled)
    if tol.is_within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current  # too small a change, or the direction would flip
    new_replicas = math.ceil(new_ratio * len(filled))
    if (new_ratio < 1.0 and new_replicas > current) or (new_ratio > 1.0 and new_replicas < current):
        return current
    return new_replicas


def _select(samples: Mapping[str, PodSample], container: str | None) -> dict[str, PodSample]:
    if not container:
        return dict(samples)
    return {pod: PodSample(s.containers[container], s.timestamp, s.window)
            for pod, s in samples.items() if s.containers and container in s.containers}


def _first_timestamp(samples: Mapping[str, PodSample]) -> float | None:
    return next(iter(samples.values())).timestamp if samples else None


def _prepare(pods: Sequence[PodInfo], samples: Mapping[str, PodSample], resource: str, now: float,
             readiness: Readiness) -> tuple[PodGroups, dict[str, int]]:
    if not pods:
        raise ReplicaCalcError("no pods returned by selector while calculating replica count")
    groups = group_pods(pods, samples, resource, now, readiness)
    metrics = {pod: s.value for pod, s in samples.items()
               if pod not in groups.ignored and pod not in groups.unready}
    if not metrics:
        raise ReplicaCalcError("did not receive metrics for targeted pods (pods might be unready)")
    return groups, metrics


def resource_replicas(current: int, target_utilization: int, resource: str, pods: Sequence[PodInfo],
                      samples: Mapping[str, PodSample], now: float, tolerances: Tolerances = Tolerances(),
                      readiness: Readiness = Readiness(), container: str | None = None) -> ResourceResult:
    """Upstream `GetResourceReplicas`: target is an average utilisation in percent of the requests."""
    if not samples:
        raise ReplicaCalcError(
            f"unable to get metrics for resource {resource}: no metrics returned from resource metrics API")
    selected = _select(samples, container)
    groups, metrics = _prepare(pods, selected, resource, now, readiness)
    requests = calculate_requests(pods, container, resource)
    ratio, utilization, raw = _utilization(metrics, requests, target_utilization)
    fallback_pct = max(100, target_utilization)
    replicas = _rebalanced(current, ratio, groups, metrics, tolerances,
                           lambda m: _utilization(m, requests, target_utilization)[0],
                           lambda pod: _trunc_div(requests[pod] * fallback_pct, 100))
    return ResourceResult(replicas, utilization, raw, _first_timestamp(selected))


def _plain(current: int, target: int, pods: Sequence[PodInfo], samples: Mapping[str, PodSample],
           resource: str, now: float, tolerances: Tolerances, readiness: Readiness) -> PlainResult:
    groups, metrics = _prepare(pods, samples, resource, now, readiness)
    ratio, usage = _usage(metrics, target)
    replicas = _rebalanced(current, ratio, groups, metrics, tolerances,
                           lambda m: _usage(m, target)[0], lambda _pod: target)
    return PlainResult(replicas, usage, _first_timestamp(samples))


def raw_resource_replicas(current: int, target_usage: int, resource: str, pods: Sequence[PodInfo],
                          samples: Mapping[str, PodSample], now: float, tolerances: Tolerances = Tolerances(),
                          readiness: Readiness = Readiness(), container: str | None = None) -> PlainResult:
    """Upstream `GetRawResourceReplicas`: target is an average usage per pod (milli-units)."""
    if not samples:
        raise ReplicaCalcError(
            f"unable to get metrics for resource {resource}: no metrics returned from resource metrics API")
    selected = _select(samples, container)
    return _plain(current, target_usage, pods, selected, resource, now, tolerances, readiness)


def pods_metric_replicas(current: int, target_usage: int, metric_name: str, pods: Sequence[PodInfo],
                         samples: Mapping[str, PodSample], now: float, tolerances: Tolerances = Tolerances(),
                         readiness: Readiness = Readiness()) -> PlainResult:
    """Upstream `GetMetricReplicas` (a Pods metric with an AverageValue target, milli-units)."""
    if not samples:
        raise ReplicaCalcError(f"unable to get metric {metric_name}: no metrics returned from custom metrics API")
    return _plain(current, target_usage, pods, samples, "", now, tolerances, readiness)
