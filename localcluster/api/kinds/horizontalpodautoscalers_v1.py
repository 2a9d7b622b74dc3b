"""autoscaling/v1 HorizontalPodAutoscaler: a view of the stored autoscaling/v2 object (one storage, as
upstream), so `kubectl autoscale` and v1 clients see and edit the same HPA the controller runs.

v1 has one metric, targetCPUUtilizationPercentage. As upstream's conversion does, the other v2 metrics,
current metrics, conditions and behavior travel in annotations (`autoscaling.alpha.kubernetes.io/...`) so
a v1 read-modify-write keeps them."""

from __future__ import annotations

import json
from typing import Any

from ..resource_type import rt
from .base import Kind
from .horizontalpodautoscalers import COLUMNS, row

__all__ = ["KIND", "from_v1", "to_v1"]

_A = "autoscaling.alpha.kubernetes.io/"
METRICS, CURRENT, CONDITIONS, BEHAVIOR = _A + "metrics", _A + "current-metrics", _A + "conditions", _A + "behavior"
_DEFAULT_CPU = 80


def _is_cpu_utilization(metric: dict[str, Any]) -> bool:
    res = metric.get("resource") or {}
    target = res.get("target") or res.get("current") or {}
    return metric.get("type") == "Resource" and res.get("name") == "cpu" and "averageUtilization" in target


def _v1_metric(metric: dict[str, Any], current: bool) -> dict[str, Any]:
    """A v2 Resource metric in the v1 annotation's shape (targetAverage* / currentAverage* fields)."""
    if metric.get("type") != "Resource":
        return metric
    res = dict(metric.get("resource") or {})
    value = res.pop("current" if current else "target", {}) or {}
    prefix = "currentAverage" if current else "targetAverage"
    if "averageUtilization" in value:
        res[prefix + "Utilization"] = value["averageUtilization"]
    if "averageValue" in value:
        res[prefix + "Value"] = value["averageValue"]
    return {"type": "Resource", "resource": res}


def _v2_metric(metric: dict[str, Any], current: bool) -> dict[str, Any]:
    if metric.get("type") != "Resource":
        return metric
    res = dict(metric.get("resource") or {})
    prefix = "currentAverage" if current else "targetAverage"
    value: dict[str, Any] = {} if current else {"type": "Utilization"}
    if prefix + "Utilization" in res:
        value["averageUtilization"] = res.pop(prefix + "Utilization")
    if prefix + "Value" in res:
        value["averageValue"] = res.pop(prefix + "Value")
        if not current and "averageUtilization" not in value:
            value["type"] = "AverageValue"
    res["current" if current else "target"] = value
    return {"type": "Resource", "resource": res}


def to_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """Stored v2 HPA -> autoscaling/v1 representation."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    meta = dict(obj.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    metrics = list(spec.get("metrics") or ())
    cpu = next((m for m in metrics if _is_cpu_utilization(m)), None)
    others = [_v1_metric(m, False) for m in metrics if m is not cpu]
    current = list(status.get("currentMetrics") or ())
    cpu_now = next((m for m in current if _is_cpu_utilization(m)), None)
    other_now = [_v1_metric(m, True) for m in current if m is not cpu_now]
    for key, value in ((METRICS, others), (CURRENT, other_now), (CONDITIONS, status.get("conditions")),
                       (BEHAVIOR, spec.get("behavior"))):
        if value:
            annotations[key] = json.dumps(value, separators=(",", ":"))
    if annotations:
        meta["annotations"] = annotations
    v1_spec: dict[str, Any] = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    if cpu is not None:
        v1_spec["targetCPUUtilizationPercentage"] = cpu["resource"]["target"]["averageUtilization"]
    v1_status = {k: status[k] for k in ("observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")
                 if k in status}
    v1_status.setdefault("desiredReplicas", 0)
    v1_status.setdefault("currentReplicas", 0)
    if cpu_now is not None:
        v1_status["currentCPUUtilizationPercentage"] = cpu_now["resource"]["current"]["averageUtilization"]
    return {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": meta,
            "spec": v1_spec, "status": v1_status}


def _load(annotations: dict[str, Any], key: str) -> Any:
    text = annotations.pop(key, None)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def from_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """autoscaling/v1 body -> v2 storage shape (the annotations carry what v1 cannot say)."""
    meta = dict(obj.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    spec = obj.get("spec") or {}
    metrics = [_v2_metric(m, False) for m in _load(annotations, METRICS) or ()]
    cpu = spec.get("targetCPUUtilizationPercentage")
    if cpu is not None or not metrics:
        target = {"type": "Utilization", "averageUtilization": _DEFAULT_CPU if cpu is None else cpu}
        metrics.insert(0, {"type": "Resource", "resource": {"name": "cpu", "target": target}})
    behavior = _load(annotations, BEHAVIOR)
    current = [_v2_metric(m, True) for m in _load(annotations, CURRENT) or ()]
    conditions = _load(annotations, CONDITIONS)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    v2_spec: dict[str, Any] = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    v2_spec["metrics"] = metrics
    if behavior:
        v2_spec["behavior"] = behavior
    status = dict(obj.get("status") or {})
    cpu_now = status.pop("currentCPUUtilizationPercentage", None)
    if cpu_now is not None:
        current.insert(0, {"type": "Resource", "resource": {"name": "cpu",
                                                            "current": {"averageUtilization": cpu_now}}})
    if current:
        status["currentMetrics"] = current
    if conditions:
        status["conditions"] = conditions
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
            "spec": v2_spec, "status": status}


def _row(obj: dict[str, Any]) -> list[Any]:
    return row(from_v1(obj))


KIND = Kind(rt("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short_names=("hpa",),
               subresources=("status",), categories=("all",), tracks_generation=True,
               storage="autoscaling/v2/horizontalpodautoscalers"),
            columns=COLUMNS, row=_row, view=(to_v1, from_v1))
