"""One replica proposal per metric of the HPA, then the largest, as upstream's `computeReplicasForMetrics`.

Each metric yields a proposal and its autoscaling/v2 `MetricStatus` (status.currentMetrics form). A metric
that fails leaves an empty status (`{"type": ""}`, upstream's zero value) and a `ScalingActive=False`
condition candidate. When every metric fails, or some fail and the valid ones would scale down, no scaling
happens (replicas -1) and the first failure's condition is reported; otherwise the valid maximum is used and
`ScalingActive=True/ValidMetricFound` is set, with the first error still reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from localcluster.hpa import external
from localcluster.hpa.pods import PodInfo, PodSample
from localcluster.hpa.replicas import (
    Readiness,
    ReplicaCalcError,
    Tolerances,
    pods_metric_replicas,
    raw_resource_replicas,
    resource_replicas,
)
from localcluster.hpa.spec import MetricSpec
from localcluster.quantity import format_milli

__all__ = ["MetricsInput", "MetricsOutcome", "compute_replicas_for_metrics"]


@dataclass(frozen=True)
class MetricsInput:
    """What the metrics APIs would return for the HPA's pods (all values in milli-units)."""

    pods: Sequence[PodInfo] = ()  # the pods the target's selector matches
    resources: Mapping[str, Mapping[str, PodSample]] = field(default_factory=dict)  # "cpu" -> pod -> sample
    pod_metrics: Mapping[str, Mapping[str, PodSample]] = field(default_factory=dict)  # custom metric -> pod
    object_metrics: Mapping[str, int] = field(default_factory=dict)  # metric name -> value
    external_metrics: Mapping[str, Sequence[int]] = field(default_factory=dict)  # metric name -> series


@dataclass(frozen=True)
class MetricsOutcome:
    replicas: int  # -1: no scaling is possible
    metric_name: str
    statuses: list[dict[str, Any]]
    timestamp: float | None
    error: str | None
    condition: tuple[str, str, str]  # ScalingActive (status, reason, message)


class _MetricFailed(Exception):
    def __init__(self, reason: str, error: str, wrapped: str) -> None:
        super().__init__(wrapped)
        self.reason, self.error, self.wrapped = reason, error, wrapped


@dataclass(frozen=True)
class _Context:
    spec_replicas: int
    status_replicas: int
    inputs: MetricsInput
    now: float
    tolerances: Tolerances
    readiness: Readiness


def _identifier(m: MetricSpec) -> dict[str, Any]:
    ident: dict[str, Any] = {"name": m.name}
    if m.selector is not None:
        ident["selector"] = m.selector
    return ident


def _resource(m: MetricSpec, ctx: _Context) -> tuple[int, str, float | None, dict[str, Any]]:
    samples = ctx.inputs.resources.get(m.name, {})
    args = (m.name, ctx.inputs.pods, samples, ctx.now, ctx.tolerances, ctx.readiness, m.container or None)
    if m.target.average_value is not None:
        try:
            plain = raw_resource_replicas(ctx.spec_replicas, m.target.average_value, *args)
        except ReplicaCalcError as exc:
            raise ValueError(f"failed to get {m.name} usage: {exc}") from exc
        return plain.replicas, f"{m.name} resource", plain.timestamp, {"averageValue": format_milli(plain.usage)}
    if m.target.average_utilization is None:
        raise ValueError("invalid resource metric source: neither an average utilization target nor an "
                         "average value (usage) target was set")
    try:
        res = resource_replicas(ctx.spec_replicas, m.target.average_utilization, *args)
    except ReplicaCalcError as exc:
        raise ValueError(f"failed to get {m.name} utilization: {exc}") from exc
    kind = "container resource" if m.type == "ContainerResource" else "resource"
    current = {"averageUtilization": res.utilization, "averageValue": format_milli(res.raw_value)}
    return res.replicas, f"{m.name} {kind} utilization (percentage of request)", res.timestamp, current


def _resource_metric(m: MetricSpec, ctx: _Context) -> tuple[int, str, float | None, dict[str, Any]]:
    container = m.type == "ContainerResource"
    try:
        replicas, name, ts, current = _resource(m, ctx)
    except ValueError as exc:
        reason = "FailedGetContainerResourceMetric" if container else "FailedGetResourceMetric"
        outer = f"{m.container} container" if container else f"{m.name} resource"
        raise _MetricFailed(reason, str(exc), f"failed to get {outer} metric value: {exc}") from exc
    if container:
        status = {"type": "ContainerResource",
                  "containerResource": {"name": m.name, "container": m.container, "current": current}}
    else:
        status = {"type": "Resource", "resource": {"name": m.name, "current": current}}
    return replicas, name, ts, status


def _pods_metric(m: MetricSpec, ctx: _Context) -> tuple[int, str, float | None, dict[str, Any]]:
    try:
        if m.target.average_value is None:
            raise ReplicaCalcError("invalid pods metric source: no average value target was set")
        res = pods_metric_replicas(ctx.spec_replicas, m.target.average_value, m.name, ctx.inputs.pods,
                                   ctx.inputs.pod_metrics.get(m.name, {}), ctx.now, ctx.tolerances, ctx.readiness)
    except ReplicaCalcError as exc:
        raise _MetricFailed("FailedGetPodsMetric", str(exc), f"failed to get pods metric value: {exc}") from exc
    status = {"type": "Pods", "pods": {"metric": _identifier(m), "current": {"averageValue": format_milli(res.usage)}}}
    return res.replicas, f"pods metric {m.name}", res.timestamp, status


def _object_metric(m: MetricSpec, ctx: _Context) -> tuple[int, str, float | None, dict[str, Any]]:
    obj = m.described_object or {}
    usage = ctx.inputs.object_metrics.get(m.name)
    try:
        if usage is None:
            raise ReplicaCalcError(f"unable to get metric {m.name}: no value for {obj.get('kind')} {obj.get('name')}")
        if m.target.type == "Value" and m.target.value is not None:
            res = external.object_metric_replicas(ctx.spec_replicas, m.target.value, usage, ctx.inputs.pods,
                                                  ctx.tolerances)
            current, name = {"value": format_milli(res.usage)}, f"{obj.get('kind')} metric {m.name}"
        elif m.target.type == "AverageValue" and m.target.average_value is not None:
            res = external.object_per_pod_replicas(ctx.status_replicas, m.target.average_value, usage,
                                                   ctx.tolerances)
            current, name = {"averageValue": format_milli(res.usage)}, f"external metric {m.name}({m.selector})"
        else:
            raise ReplicaCalcError("invalid object metric source: neither a value target nor an average value "
                                   "target was set")
    except ReplicaCalcError as exc:
        raise _MetricFailed("FailedGetObjectMetric", str(exc), f"failed to get object metric value: {exc}") from exc
    status = {"type": "Object", "object": {"describedObject": dict(obj), "metric": _identifier(m), "current": current}}
    return res.replicas, name, None, status


def _external_metric(m: MetricSpec, ctx: _Context) -> tuple[int, str, float | None, dict[str, Any]]:
    values = ctx.inputs.external_metrics.get(m.name)
    try:
        if values is None:
            raise ReplicaCalcError(f"unable to get external metric {m.name}: no metrics returned from external "
                                   "metrics API")
        if m.target.average_value is not None:
            res = external.external_per_pod_replicas(ctx.status_replicas, m.target.average_value, values,
                                                     ctx.tolerances)
            current = {"averageValue": format_milli(res.usage)}
        elif m.target.value is not None:
            res = external.external_metric_replicas(ctx.spec_replicas, m.target.value, values, ctx.inputs.pods,
                                                    ctx.tolerances)
            current = {"value": format_milli(res.usage)}
        else:
            raise ReplicaCalcError("invalid external metric source: neither a value target nor an average value "
                                   "target was set")
    except ReplicaCalcError as exc:
        raise _MetricFailed("FailedGetExternalMetric", str(exc),
                            f"failed to get {m.name} external metric value: {exc}") from exc
    status = {"type": "External", "external": {"metric": _identifier(m), "current": current}}
    return res.replicas, f"external metric {m.name}({m.selector})", None, status


_BY_TYPE = {"Resource": _resource_metric, "ContainerResource": _resource_metric, "Pods": _pods_metric,
            "Object": _object_metric, "External": _external_metric}


def _one(m: MetricSpec, ctx: _Context) -> tuple[int, str, float | None, dict[str, Any]]:
    compute = _BY_TYPE.get(m.type)
    if compute is None:
        error = f'unknown metric source type "{m.type}"'
        raise _MetricFailed("InvalidMetricSourceType", error, error)
    return compute(m, ctx)


def compute_replicas_for_metrics(metrics: Sequence[MetricSpec], spec_replicas: int, status_replicas: int,
                                 inputs: MetricsInput, now: float, tolerances: Tolerances,
                                 readiness: Readiness) -> MetricsOutcome:
    """Upstream `computeReplicasForMetrics`: the largest valid proposal, with upstream's error handling."""
    ctx = _Context(spec_replicas, status_replicas, inputs, now, tolerances, readiness)
    statuses: list[dict[str, Any]] = [{"type": ""} for _ in metrics]
    replicas, name, timestamp = 0, "", None
    failures: list[_MetricFailed] = []
    for i, m in enumerate(metrics):
        try:
            proposal, proposal_name, proposal_ts, statuses[i] = _one(m, ctx)
        except _MetricFailed as failed:
            failures.append(failed)
            continue
        if replicas == 0 or proposal > replicas:
            replicas, name, timestamp = proposal, proposal_name, proposal_ts
    error = None
    if failures:
        error = (f"invalid metrics ({len(failures)} invalid out of {len(metrics)}), first error is: "
                 f"{failures[0].wrapped}")
    if len(failures) >= len(metrics) or (failures and replicas < spec_replicas):
        first = failures[0]
        message = f"the HPA was unable to compute the replica count: {first.error}"
        return MetricsOutcome(-1, "", statuses, None, error, ("False", first.reason, message))
    message = f"the HPA was able to successfully calculate a replica count from {name}"
    return MetricsOutcome(replicas, name, statuses, timestamp, error, ("True", "ValidMetricFound", message))
