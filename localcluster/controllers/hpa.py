"""HPA controller: every `sync_period` seconds, each autoscaling/v2 HPA is synced with the pure
`localcluster.hpa.decide` (which keeps upstream's recommendations and scale events in its per-HPA state).

Inputs: the scale target (a Deployment or ReplicaSet: spec.replicas, selector), its pods, and per-pod
samples from the kubelet's `pod_metrics`: `cpu_usage` (millicores over a window) and `memory_usage`
(bytes) for Resource metrics, and for Pods metrics the named metric read from each pod's Prometheus text
(`pod_metrics.scrape`; port from the pod annotation `prometheus.io/port`, else the container port named
`metrics`, else the first container port; path from `prometheus.io/path`, else /metrics; the value is the
sum of the metric's samples over all label sets, as an average-value target expects a gauge).
Outputs: the target's spec.replicas (so an HPA overrides a manual scale, as upstream), the HPA status
(currentReplicas, desiredReplicas, lastScaleTime, currentMetrics, conditions) and events
(`SuccessfulRescale`, `FailedGetScale`, the metric failure reason of ScalingActive=False).
Not modelled: Object and External metrics have no source here (they report missing metrics).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, Protocol

from ..api import ApiError, Conflict, NotFound, Store
from ..hpa import (
    HpaConfig,
    HpaSpecError,
    HpaState,
    MetricsInput,
    PodSample,
    decide,
    hpa_status,
    pod_from_json,
    rescale_failed,
)
from . import podutil as pu
from .base import Clock, Controller
from .events import EventRecorder

__all__ = ["HpaController", "PodMetrics", "parse_metric"]

log = logging.getLogger(__name__)
_TARGETS = {"Deployment": "deployments", "ReplicaSet": "replicasets"}


class PodMetrics(Protocol):
    """What the kubelet offers the controllers about running pods."""

    def cpu_usage(self, namespace: str, name: str) -> tuple[float, float, float] | None: ...

    def memory_usage(self, namespace: str, name: str) -> tuple[int, float] | None: ...

    def scrape(self, namespace: str, name: str, port: str | int, path: str = "/metrics") -> str | None: ...


def parse_metric(text: str, name: str) -> float | None:
    """Sum of the samples of metric `name` in Prometheus text exposition format; None when absent."""
    total, found = 0.0, False
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, _, rest = line.partition("{") if "{" in line.split(" ", 1)[0] else line.partition(" ")
        if head != name:
            continue
        value_part = rest.rsplit("}", 1)[-1] if "}" in rest else rest
        fields = value_part.split()
        try:
            value = float(fields[0])
        except (IndexError, ValueError):
            continue
        if math.isfinite(value):
            total, found = total + value, True
    return total if found else None


def _scrape_target(pod: Mapping[str, Any]) -> tuple[str | int, str] | None:
    notes = pod["metadata"].get("annotations") or {}
    path = notes.get("prometheus.io/path", "/metrics")
    if notes.get("prometheus.io/port"):
        port = notes["prometheus.io/port"]
        return (int(port) if port.isdigit() else port), path
    ports = [p for c in pod["spec"].get("containers") or () for p in c.get("ports") or ()]
    named = next((p for p in ports if p.get("name") == "metrics"), None)
    chosen = named or (ports[0] if ports else None)
    if chosen is None:
        return None
    return chosen.get("name") or int(chosen["containerPort"]), path


class HpaController(Controller):
    name = "horizontal-pod-autoscaler"
    kinds = ("autoscaling/v2/horizontalpodautoscalers",)

    def __init__(self, store: Store, pod_metrics: PodMetrics | None, recorder: EventRecorder, clock: Clock,
                 config: HpaConfig, *, sync_period: float = 15.0, interval: float = 1.0) -> None:
        super().__init__(interval)
        self.store = store
        self.pod_metrics = pod_metrics
        self.recorder = recorder
        self.clock = clock
        self.config = config
        self.sync_period = sync_period
        self._states: dict[str, HpaState] = {}
        self._last_sync: dict[str, float] = {}
        self.syncs = 0  # HPA syncs done (for tests and diagnostics)

    def reconcile(self) -> None:
        now = self.clock()
        hpas = self.store.list("horizontalpodautoscalers")
        live = {h["metadata"]["uid"] for h in hpas}
        self._states = {k: v for k, v in self._states.items() if k in live}
        self._last_sync = {k: v for k, v in self._last_sync.items() if k in live}
        for hpa in hpas:
            uid = hpa["metadata"]["uid"]
            last = self._last_sync.get(uid)
            if last is not None and now - last < self.sync_period:
                continue
            self._last_sync[uid] = now
            try:
                self.sync(hpa, now)
                self.syncs += 1
            except (Conflict, NotFound):
                self._last_sync.pop(uid, None)
            except (ApiError, HpaSpecError, ValueError) as exc:
                log.warning("hpa %s: %s", hpa["metadata"]["name"], getattr(exc, "message", exc))

    def _metrics_input(self, hpa: dict[str, Any], pods: list[dict[str, Any]]) -> MetricsInput:
        wanted = {_metric_id(m) for m in hpa["spec"].get("metrics") or ()}
        resources: dict[str, dict[str, PodSample]] = {"cpu": {}, "memory": {}}
        custom: dict[str, dict[str, PodSample]] = {}
        source = self.pod_metrics
        for pod in pods if source is not None else ():
            ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
            if source is not None and {("Resource", "cpu"), ("ContainerResource", "cpu")} & wanted:
                cpu = source.cpu_usage(ns, name)
                if cpu is not None:
                    resources["cpu"][name] = PodSample(round(cpu[0]), timestamp=cpu[2], window=cpu[1])
            if source is not None and {("Resource", "memory"), ("ContainerResource", "memory")} & wanted:
                mem = source.memory_usage(ns, name)
                if mem is not None:
                    resources["memory"][name] = PodSample(int(mem[0]) * 1000, timestamp=mem[1])
            for kind, metric in wanted:
                if kind == "Pods" and metric:
                    sample = self._scrape(pod, metric)
                    if sample is not None:
                        custom.setdefault(metric, {})[name] = sample
        return MetricsInput(pods=[pod_from_json(p) for p in pods], resources=resources, pod_metrics=custom)

    def _scrape(self, pod: dict[str, Any], metric: str) -> PodSample | None:
        target = _scrape_target(pod)
        if target is None or self.pod_metrics is None or not pu.is_active(pod):
            return None
        text = self.pod_metrics.scrape(pod["metadata"]["namespace"], pod["metadata"]["name"], target[0], target[1])
        value = parse_metric(text, metric) if text else None
        return None if value is None else PodSample(round(value * 1000), timestamp=self.clock())

    def sync(self, hpa: dict[str, Any], now: float) -> None:
        ref = hpa["spec"].get("scaleTargetRef") or {}
        ns = hpa["metadata"]["namespace"]
        plural = _TARGETS.get(ref.get("kind", ""))
        target = self.store.try_get(plural, ns, ref.get("name", "")) if plural else None
        if target is None or plural is None:
            self._failed_get_scale(hpa, ref, now)
            return
        pods = self.store.list("pods", ns, label_selector=target["spec"].get("selector") or {})
        current = int(target["spec"].get("replicas", 1))
        uid = hpa["metadata"]["uid"]
        decision = decide(hpa["spec"], current, self._metrics_input(hpa, pods), now,
                          self._states.get(uid, HpaState()), self.config,
                          status_replicas=int((target.get("status") or {}).get("replicas") or 0))
        if decision.rescale:
            try:
                self._scale(plural, ns, target, decision.desired)
            except ApiError as exc:
                decision = rescale_failed(decision, exc.message)
                self.recorder.event(hpa, "Warning", "FailedRescale",
                                    f"New size: {decision.desired}; reason: {decision.reason}; error: {exc.message}")
            else:
                self.recorder.event(hpa, "Normal", "SuccessfulRescale",
                                    f"New size: {decision.desired}; reason: {decision.reason}")
        self._states[uid] = decision.state
        active = next((c for c in decision.conditions if c["type"] == "ScalingActive"), None)
        if active is not None and active["status"] == "False" and active["reason"] != "ScalingDisabled":
            self.recorder.event(hpa, "Warning", active["reason"], active["message"])
        self._write_status(hpa, hpa_status(decision, now, hpa.get("status")))  # no observedGeneration, as upstream

    def _scale(self, plural: str, ns: str, target: dict[str, Any], replicas: int) -> None:
        uid = target["metadata"]["uid"]

        def _fn(obj: dict[str, Any]) -> None:
            if obj["metadata"]["uid"] != uid:
                raise Conflict("scale target replaced")
            obj["spec"]["replicas"] = replicas

        self.store.mutate(plural, ns, target["metadata"]["name"], _fn)

    def _failed_get_scale(self, hpa: dict[str, Any], ref: Mapping[str, Any], now: float) -> None:
        plural = _TARGETS.get(ref.get("kind", ""))
        what = f"{plural}.apps" if plural else f'no kind "{ref.get("kind")}" is registered; resource'
        message = f'{what} "{ref.get("name")}" not found'
        self.recorder.event(hpa, "Warning", "FailedGetScale", message)
        previous = dict(hpa.get("status") or {})
        conditions = [dict(c) for c in previous.get("conditions") or ()]
        pu.set_condition(conditions, "AbleToScale", "False", "FailedGetScale",
                         f"the HPA controller was unable to get the target's current scale: {message}", now)
        previous["conditions"] = conditions
        previous.setdefault("desiredReplicas", 0)
        self._write_status(hpa, previous)

    def _write_status(self, hpa: dict[str, Any], status: dict[str, Any]) -> None:
        def _fn(obj: dict[str, Any]) -> None:
            obj["status"] = status

        self.store.mutate("horizontalpodautoscalers", hpa["metadata"]["namespace"], hpa["metadata"]["name"], _fn,
                          subresource="status")


def _metric_id(metric: Mapping[str, Any]) -> tuple[str, str]:
    """(type, resource or metric name) of one spec.metrics entry."""
    kind = str(metric.get("type", ""))
    if kind in ("Resource", "ContainerResource"):
        key = "resource" if kind == "Resource" else "containerResource"
        return kind, str((metric.get(key) or {}).get("name", ""))
    if kind == "Pods":
        return kind, str(((metric.get("pods") or {}).get("metric") or {}).get("name", ""))
    return kind, ""
