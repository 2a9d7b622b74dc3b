"""Numbers the observer records for the HPA replay (analysis/hpa_replay): each HPA metric's target and current
value, each pod's resource requests, and the usage in metrics.k8s.io PodMetrics (`cluster/pod_metrics`).

Quantities are parsed here, at the edge, so the analysis plane reads plain numbers: CPU in millicores, memory in
bytes, other values in milli-units (Kubernetes' `MilliValue()`), utilizations in percent.
"""

from __future__ import annotations

import json
from typing import Any

from localcluster import QuantityError, parse_milli

Obj = dict[str, Any]

_SOURCE_KEY = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
               "Object": "object", "External": "external"}


def milli(value: Any) -> float | None:
    """A quantity ("266m", "512Mi", 3) in milli-units, or None when absent or unparsable."""
    if value is None:
        return None
    try:
        return float(parse_milli(value))
    except QuantityError:
        return None


def _name(kind: str, source: Obj) -> str:
    if kind in ("Resource", "ContainerResource"):
        return str(source.get("name") or "")
    return str((source.get("metric") or {}).get("name") or "")


def _numbers(block: Obj | None) -> Obj:
    block = block or {}
    out: Obj = {}
    if block.get("type"):
        out["type"] = block["type"]
    if block.get("averageUtilization") is not None:
        out["utilization"] = float(block["averageUtilization"])
    for key, name in (("averageValue", "average_value"), ("value", "value")):
        parsed = milli(block.get(key))
        if parsed is not None:
            out[name] = parsed
    return out


def metric_values(spec_metrics: list[Obj], status_metrics: list[Obj]) -> str | None:
    """JSON list, one entry per spec metric in spec order: {type, name, container, target: {type, utilization |
    average_value | value}, current: {utilization, average_value, value} or null when the HPA reported none}."""
    current: dict[tuple[str, str, str], Obj] = {}
    for m in status_metrics:
        kind = str(m.get("type") or "")
        source = m.get(_SOURCE_KEY.get(kind, "")) or {}
        current[(kind, _name(kind, source), str(source.get("container") or ""))] = source.get("current") or {}
    out = []
    for m in spec_metrics:
        kind = str(m.get("type") or "")
        source = m.get(_SOURCE_KEY.get(kind, "")) or {}
        key = (kind, _name(kind, source), str(source.get("container") or ""))
        out.append({"type": kind, "name": key[1], "container": key[2] or None, "target": _numbers(source.get("target")),
                    "current": _numbers(current[key]) if key in current else None})
    return json.dumps(out, sort_keys=True, separators=(",", ":")) if out else None


def pod_requests(pod: Obj) -> tuple[float | None, float | None]:
    """(CPU millicores, memory bytes) requested by the pod: its containers plus restartable init containers (as
    the HPA counts them); the pod-level `spec.resources` when set. None when nothing is requested."""
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or [])
    containers += [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    blocks = [(spec.get("resources") or {}).get("requests")] if (spec.get("resources") or {}).get("requests") \
        else [(c.get("resources") or {}).get("requests") or {} for c in containers]
    cpu = [milli(b.get("cpu")) for b in blocks if b and b.get("cpu") is not None]
    memory = [milli(b.get("memory")) for b in blocks if b and b.get("memory") is not None]
    return (sum(v for v in cpu if v is not None) if cpu else None,
            sum(v for v in memory if v is not None) / 1000.0 if memory else None)


def seconds(text: str) -> float | None:
    """A Go duration as metrics-server writes it ("15s", "1m0s", "20.5s") in seconds."""
    total, number = 0.0, ""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0}
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total, number = total + float(number) * units[ch], ""
        else:
            return None
    return total if text and not number else None
