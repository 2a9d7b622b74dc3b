"""The cluster's metrics endpoint for Prometheus, under the real exporters' metric names, from real data.

`/metrics/cadvisor` (the kubelet's cAdvisor endpoint): per running container, from its process (psutil, the
same samples the resource metrics use):
- `container_cpu_usage_seconds_total`: CPU seconds of the container's current process (a restart starts a
  new container id and a new counter, as with cAdvisor), times the cluster's CPU scale;
- `container_memory_working_set_bytes`: its RSS, times the CPU scale (the unit the resource metrics and the
  HPA use, docs/hpa.md). A container on a failed node has no series (its kubelet is gone).

`/metrics/kube-state-metrics`: from the API objects: `kube_pod_container_resource_limits` and `..._requests`
(resource cpu in cores, memory in bytes), `kube_pod_container_status_restarts_total`,
`kube_deployment_status_replicas_available`, `kube_horizontalpodautoscaler_status_desired_replicas`,
`kube_poddisruptionbudget_status_current_healthy`. Labels are the exporters' own (namespace, pod, container,
uid, node, resource, unit, deployment, horizontalpodautoscaler, poddisruptionbudget).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcluster.quantity import parse_quantity

__all__ = ["ExporterServer", "cadvisor_text", "kube_state_text"]

Series = tuple[str, dict[str, str], float]
_HELP = {
    "container_cpu_usage_seconds_total": ("counter", "Cumulative cpu time consumed in seconds (x the CPU scale)."),
    "container_memory_working_set_bytes": ("gauge", "Current working set in bytes (x the CPU scale)."),
    "kube_pod_container_resource_limits": ("gauge", "The number of requested limit resource by a container."),
    "kube_pod_container_resource_requests": ("gauge", "The number of requested request resource by a container."),
    "kube_pod_container_status_restarts_total": ("counter", "The number of container restarts per container."),
    "kube_deployment_status_replicas_available": ("gauge", "The number of available replicas per deployment."),
    "kube_horizontalpodautoscaler_status_desired_replicas": ("gauge", "Desired number of replicas of pods."),
    "kube_poddisruptionbudget_status_current_healthy": ("gauge", "Current number of healthy pods."),
}


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(series: Iterable[Series]) -> str:
    """Prometheus text exposition of `series`, grouped by name with HELP/TYPE lines."""
    by_name: dict[str, list[Series]] = {}
    for item in series:
        by_name.setdefault(item[0], []).append(item)
    out = []
    for name, items in by_name.items():
        kind, text = _HELP.get(name, ("gauge", name))
        out += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
        for _, labels, value in items:
            body = ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items())
            out.append(f"{name}{{{body}}} {value!r}")
    return "\n".join(out) + "\n"


def cadvisor_text(workers: Iterable[Any], cpu_scale: float) -> str:
    """cAdvisor's two container series for every running container of `workers` (kubelet PodWorkers)."""
    series: list[Series] = []
    for worker in workers:
        if worker.frozen:
            continue
        for container in list(worker.containers):
            proc = container.proc
            got = proc.sample() if proc is not None else None
            if got is None:
                continue
            labels = {"namespace": worker.namespace, "pod": worker.pod_name, "container": container.name,
                      "image": container.image, "id": container.cid, "node": worker.node}
            series.append(("container_cpu_usage_seconds_total", labels, got[0] * cpu_scale))
            series.append(("container_memory_working_set_bytes", labels, float(round(got[1] * cpu_scale))))
    return render(series)


def _pod_series(pod: dict[str, Any]) -> list[Series]:
    meta, spec = pod["metadata"], pod.get("spec") or {}
    base = {"namespace": meta.get("namespace", ""), "pod": meta["name"], "uid": meta.get("uid", "")}
    out: list[Series] = []
    for c in spec.get("containers") or []:
        labels = {**base, "container": c["name"], "node": spec.get("nodeName", "")}
        for kind, metric in (("limits", "kube_pod_container_resource_limits"),
                             ("requests", "kube_pod_container_resource_requests")):
            for resource, value in ((c.get("resources") or {}).get(kind) or {}).items():
                unit = "core" if resource == "cpu" else "byte"
                out.append((metric, {**labels, "resource": resource, "unit": unit}, float(parse_quantity(value))))
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        out.append(("kube_pod_container_status_restarts_total", {**base, "container": status["name"]},
                    float(status.get("restartCount") or 0)))
    return out


def kube_state_text(list_objects: Callable[[str], list[dict[str, Any]]]) -> str:
    """kube-state-metrics' series for pods, deployments, HPAs and PDBs (`list_objects(kind)` lists every one)."""
    series: list[Series] = []
    for pod in list_objects("pods"):
        series += _pod_series(pod)
    for dep in list_objects("deployments"):
        series.append(("kube_deployment_status_replicas_available", _ns_name(dep, "deployment"),
                       float((dep.get("status") or {}).get("availableReplicas") or 0)))
    for hpa in list_objects("horizontalpodautoscalers"):
        series.append(("kube_horizontalpodautoscaler_status_desired_replicas",
                       _ns_name(hpa, "horizontalpodautoscaler"),
                       float((hpa.get("status") or {}).get("desiredReplicas") or 0)))
    for pdb in list_objects("poddisruptionbudgets"):
        series.append(("kube_poddisruptionbudget_status_current_healthy", _ns_name(pdb, "poddisruptionbudget"),
                       float((pdb.get("status") or {}).get("currentHealthy") or 0)))
    return render(series)


def _ns_name(obj: dict[str, Any], key: str) -> dict[str, str]:
    return {"namespace": obj["metadata"].get("namespace", ""), key: obj["metadata"]["name"]}


class ExporterServer:
    """Serves both paths on 127.0.0.1 (a free port) from a daemon thread; `address` is host:port."""

    def __init__(self, workers: Callable[[], list[Any]], list_objects: Callable[[str], list[dict[str, Any]]],
                 cpu_scale: float) -> None:
        pages = {"/metrics/cadvisor": lambda: cadvisor_text(workers(), cpu_scale),
                 "/metrics/kube-state-metrics": lambda: kube_state_text(list_objects)}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = pages.get(self.path.split("?")[0])
                body = (page() if page else "not found\n").encode()
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="exporters", daemon=True)

    def start(self) -> ExporterServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
