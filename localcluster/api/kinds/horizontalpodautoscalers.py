"""autoscaling/v2 HorizontalPodAutoscaler (the stored version; autoscaling/v1 is a view of it): minReplicas, a CPU
utilization metric and, when behavior is given, upstream's scale-up/scale-down policies defaulted on create;
`status.desiredReplicas` always present."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import IPAllocator, Kind
from .printing import AGE, age

__all__ = ["COLUMNS", "KIND", "row"]


def _prepare(obj: dict[str, Any], ips: IPAllocator) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        target = {"type": "Utilization", "averageUtilization": 80}
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    behavior = spec.get("behavior")
    if behavior is None:
        return
    up = behavior.setdefault("scaleUp", {})
    up.setdefault("stabilizationWindowSeconds", 0)
    up.setdefault("selectPolicy", "Max")
    if not up.get("policies"):
        up["policies"] = [{"type": "Pods", "value": 4, "periodSeconds": 15}]
        up["policies"].append({"type": "Percent", "value": 100, "periodSeconds": 15})
    down = behavior.setdefault("scaleDown", {})
    down.setdefault("stabilizationWindowSeconds", 300)
    down.setdefault("selectPolicy", "Max")
    if not down.get("policies"):
        down["policies"] = [{"type": "Percent", "value": 100, "periodSeconds": 15}]


def _metric_target(spec_metric: dict[str, Any], current: list[dict[str, Any]]) -> str:
    kind = spec_metric.get("type", "")
    body = spec_metric.get(kind[:1].lower() + kind[1:], {}) if kind else {}
    target = body.get("target", {})
    name = body.get("name") or body.get("metric", {}).get("name", "")
    have = "<unknown>"
    for cur in current:
        cbody = cur.get(kind[:1].lower() + kind[1:], {}) if kind else {}
        if cbody.get("name", cbody.get("metric", {}).get("name")) == name:
            value = cbody.get("current", {})
            if "averageUtilization" in value:
                have = f"{value['averageUtilization']}%"
            else:
                have = str(value.get("averageValue", value.get("value", "<unknown>")))
    if "averageUtilization" in target:
        return f"{name}: {have}/{target['averageUtilization']}%"
    return f"{name}: {have}/{target.get('averageValue', target.get('value', '<unknown>'))}"


def row(hpa: dict[str, Any]) -> list[Any]:
    """One HPA's cells (autoscaling/v2 shape)."""
    spec, status = hpa.get("spec", {}), hpa.get("status", {})
    ref = spec.get("scaleTargetRef", {})
    current = status.get("currentMetrics") or []
    targets = ", ".join(_metric_target(m, current) for m in spec.get("metrics") or []) or "<none>"
    return [
        hpa["metadata"]["name"],
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        targets,
        spec.get("minReplicas", 1),
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        age(hpa),
    ]


COLUMNS = (("Name", "string", 0), ("Reference", "string", 0), ("Targets", "string", 0), ("MinPods", "string", 0),
           ("MaxPods", "integer", 0), ("Replicas", "integer", 0), AGE)

KIND = Kind(
    rt("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short_names=("hpa",),
       subresources=("status",), categories=("all",), tracks_generation=True),
    prepare=_prepare,
    omit_empty_status=("observedGeneration", "currentReplicas", "currentMetrics", "conditions"),
    required_status=("desiredReplicas",),
    columns=COLUMNS,
    row=row,
    apply_order=4,
)
