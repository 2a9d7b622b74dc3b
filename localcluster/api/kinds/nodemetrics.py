"""metrics.k8s.io/v1beta1 NodeMetrics (`kubectl top node`): the sum of the node's running pods' samples (the
local nodes run nothing but their pods), computed on each request, never stored."""

from __future__ import annotations

from typing import Any

from ..objects import format_time
from ..resource_type import READ_VERBS, rt
from .base import Kind
from .podmetrics import pod_usage, quantities

__all__ = ["KIND"]


def _read(ctx: Any, namespace: str | None, name: str | None) -> list[dict[str, Any]]:
    nodes = [ctx.store.get("nodes", None, name)] if name else ctx.store.list(
        "nodes", label_selector=ctx.label_selector or None)
    totals: dict[str, list[float]] = {n["metadata"]["name"]: [0.0, 0, 0.0, 0.0] for n in nodes}
    for pod in ctx.store.list("pods"):
        node = (pod.get("spec") or {}).get("nodeName")
        if node not in totals or (pod.get("status") or {}).get("phase") != "Running":
            continue
        usage = pod_usage(ctx.metrics, pod)
        if usage is None:
            continue
        total = totals[node]
        total[0] += usage[0]
        total[1] += usage[1]
        total[2] = max(total[2], usage[2])
        total[3] = max(total[3], usage[3])
    out = []
    for node in nodes:
        meta = node["metadata"]
        cpu, memory, window, at = totals[meta["name"]]
        out.append({"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
                    "metadata": {"name": meta["name"], "labels": dict(meta.get("labels") or {}),
                                 "creationTimestamp": format_time()},
                    "timestamp": format_time(at or None), "window": f"{max(1, round(window or 15))}s",
                    "usage": quantities(cpu, int(memory))})
    return out


KIND = Kind(rt("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", False, verbs=READ_VERBS[:2], virtual=True),
            read=_read)
