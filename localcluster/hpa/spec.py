"""An autoscaling/v2 HorizontalPodAutoscaler `spec` (JSON form) parsed into typed values, with defaults.

Defaults as upstream's `SetDefaults_HorizontalPodAutoscaler`: minReplicas 1; no metrics -> CPU at 80 %
average utilisation; `behavior` filled by `parse_behavior`. Structural errors (wrong types, a metric whose
source object is missing) raise `HpaSpecError` naming the field. A metric of an unknown `type` is kept: the
controller reports it as `ScalingActive=False/InvalidMetricSourceType`, as upstream does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcluster.hpa.behavior import Behavior, parse_behavior
from localcluster.quantity import QuantityError, parse_milli

__all__ = ["HpaSpec", "HpaSpecError", "MetricSpec", "MetricTarget", "parse_hpa_spec"]

DEFAULT_CPU_UTILIZATION = 80
_SPEC_KEYS = {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior", "selectionStrategy"}
_SOURCE_KEY = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
               "Object": "object", "External": "external"}


class HpaSpecError(ValueError):
    """The HPA spec cannot be used; the message names the field and what is expected."""


@dataclass(frozen=True)
class MetricTarget:
    type: str = ""
    average_utilization: int | None = None  # percent
    average_value: int | None = None  # milli-units
    value: int | None = None  # milli-units


@dataclass(frozen=True)
class MetricSpec:
    type: str
    name: str = ""  # resource name (cpu, memory) or metric name
    container: str = ""
    target: MetricTarget = MetricTarget()
    selector: Mapping[str, Any] | None = None  # the metric's label selector, echoed in the status
    described_object: Mapping[str, Any] | None = None  # Object metrics


@dataclass(frozen=True)
class HpaSpec:
    min_replicas: int
    max_replicas: int
    metrics: tuple[MetricSpec, ...]
    behavior: Behavior | None


def _int(value: Any, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise HpaSpecError(f"{field}: expected an integer >= {minimum}, got {value!r}")
    return value


def _quantity(raw: Mapping[str, Any], key: str, field: str) -> int | None:
    if raw.get(key) is None:
        return None
    try:
        return parse_milli(raw[key], f"{field}.{key}")
    except QuantityError as exc:
        raise HpaSpecError(str(exc)) from exc


def _target(raw: Any, field: str) -> MetricTarget:
    if raw is None:
        return MetricTarget()
    if not isinstance(raw, Mapping):
        raise HpaSpecError(f"{field}: expected an object {{type, averageUtilization|averageValue|value}}")
    utilization = raw.get("averageUtilization")
    if utilization is not None:
        utilization = _int(utilization, f"{field}.averageUtilization", 1)
    return MetricTarget(str(raw.get("type", "")), utilization, _quantity(raw, "averageValue", field),
                        _quantity(raw, "value", field))


def _metric(raw: Any, field: str) -> MetricSpec:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("type"), str):
        raise HpaSpecError(f"{field}: expected an object with a string 'type', got {raw!r}")
    kind = raw["type"]
    if kind not in _SOURCE_KEY:
        return MetricSpec(type=kind)
    key = _SOURCE_KEY[kind]
    source = raw.get(key)
    if not isinstance(source, Mapping):
        raise HpaSpecError(f"{field}.{key}: required for a metric of type {kind}")
    target = _target(source.get("target"), f"{field}.{key}.target")
    if kind in ("Resource", "ContainerResource"):
        if not isinstance(source.get("name"), str) or not source["name"]:
            raise HpaSpecError(f"{field}.{key}.name: the resource name (cpu, memory) is required")
        container = str(source.get("container") or "")
        if kind == "ContainerResource" and not container:
            raise HpaSpecError(f"{field}.{key}.container: required for a ContainerResource metric")
        return MetricSpec(kind, source["name"], container, target)
    metric = source.get("metric")
    if not isinstance(metric, Mapping) or not isinstance(metric.get("name"), str):
        raise HpaSpecError(f"{field}.{key}.metric.name: the metric name is required")
    described = source.get("describedObject") if kind == "Object" else None
    if kind == "Object" and not isinstance(described, Mapping):
        raise HpaSpecError(f"{field}.{key}.describedObject: required for an Object metric")
    return MetricSpec(kind, metric["name"], "", target, metric.get("selector"), described)


def parse_hpa_spec(spec: Mapping[str, Any], field: str = "spec") -> HpaSpec:
    """Parse and default an autoscaling/v2 HPA spec (the JSON object under `spec`)."""
    if not isinstance(spec, Mapping):
        raise HpaSpecError(f"{field}: expected an object, got {spec!r}")
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise HpaSpecError(f"{field}: unknown field(s) {sorted(unknown)}; allowed: {sorted(_SPEC_KEYS)}")
    max_replicas = _int(spec.get("maxReplicas"), f"{field}.maxReplicas", 1)
    min_raw = spec.get("minReplicas")
    min_replicas = 1 if min_raw is None else _int(min_raw, f"{field}.minReplicas", 0)
    if min_replicas > max_replicas:
        raise HpaSpecError(f"{field}.minReplicas: {min_replicas} is above maxReplicas {max_replicas}")
    raw_metrics = spec.get("metrics") or []
    if not isinstance(raw_metrics, list):
        raise HpaSpecError(f"{field}.metrics: expected a list, got {raw_metrics!r}")
    metrics = tuple(_metric(m, f"{field}.metrics[{i}]") for i, m in enumerate(raw_metrics))
    if not metrics:
        metrics = (MetricSpec("Resource", "cpu", "", MetricTarget("Utilization", DEFAULT_CPU_UTILIZATION)),)
    try:
        behavior = parse_behavior(spec.get("behavior"), f"{field}.behavior")
    except ValueError as exc:
        raise HpaSpecError(str(exc)) from exc
    return HpaSpec(min_replicas, max_replicas, metrics, behavior)
