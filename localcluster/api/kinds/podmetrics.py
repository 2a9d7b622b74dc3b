"""metrics.k8s.io/v1beta1 PodMetrics (`kubectl top pod`): computed on each request from the same CPU and
memory samples the HPA reads (the kubelet's per-pod samples of the real processes), never stored."""

from __future__ import annotations

from typing import Any

from ..objects import format_time
from ..resource_type import READ_VERBS, rt
from .base import Kind

__all__ = ["KIND", "pod_usage"]


def pod_usage(metrics: Any, pod: dict[str, Any]) -> tuple[float, int, float, float] | None:
    """(CPU millicores, memory bytes, window seconds, sample time) of a running pod, or None."""
    meta = pod["metadata"]
    cpu = metrics.cpu_usage(meta.get("namespace", ""), meta["name"])
    mem = metrics.memory_usage(meta.get("namespace", ""), meta["name"])
    if cpu is None or mem is None:
        return None
    millicores, window, at = cpu
    return millicores, int(mem[0]), window, at


def quantities(millicores: float, memory: int) -> dict[str, str]:
    """Usage as metrics-server writes it: CPU in nanocores, memory in Ki."""
    return {"cpu": f"{round(millicores * 1_000_000)}n", "memory": f"{memory // 1024}Ki"}


def _item(pod: dict[str, Any], usage: tuple[float, int, float, float]) -> dict[str, Any]:
    millicores, memory, window, at = usage
    meta = pod["metadata"]
    containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or ()] or [meta["name"]]
    share = len(containers)  # the pod's processes are measured together: split evenly between its containers
    return {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": meta["name"], "namespace": meta.get("namespace", ""),
                         "labels": dict(meta.get("labels") or {}), "creationTimestamp": format_time()},
            "timestamp": format_time(at), "window": f"{max(1, round(window))}s",
            "containers": [{"name": c, "usage": quantities(millicores / share, memory // share)}
                           for c in containers]}


def _read(ctx: Any, namespace: str | None, name: str | None) -> list[dict[str, Any]]:
    pods = [ctx.store.get("pods", namespace, name)] if name else ctx.store.list(
        "pods", namespace, label_selector=ctx.label_selector or None)
    out = []
    for pod in pods:
        if (pod.get("status") or {}).get("phase") != "Running":
            continue
        usage = pod_usage(ctx.metrics, pod)
        if usage is not None:
            out.append(_item(pod, usage))
    return out


KIND = Kind(rt("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", verbs=READ_VERBS[:2], virtual=True),
            read=_read)
