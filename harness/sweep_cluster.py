"""The cluster side of `afsuite sweep`: the workload held at a fixed number of replicas while the sweep runs, and
each pod's CPU as the HPA reads it (metrics.k8s.io PodMetrics).

Holding. An HPA would add pods as the levels rise, and a level's streams per pod would stop being concurrency /
replicas. So the HPA is held: its `minReplicas` and `maxReplicas` are both set to the sweep's replica count (the
HPA itself then keeps the Deployment there; a Deployment without an HPA is scaled to it), and both are put back
as they were when the sweep ends, however it ends (Ctrl-C, SIGTERM, an error). The held HPA carries the
annotation `afsuite.agentflow.dev/sweep-held` with its bounds from before, so `afsuite recover` puts it back after
a SIGKILL. Every change goes through the suite's one safety guard (`experiments.afchaos.wire`: production
refusal, dry run, `chaos/changes.jsonl` in the run directory); the restore is a restoring change. On a cluster
that is not the local one (not every node carries the label `node.kubernetes.io/instance-type: localcluster`),
the sweep changes nothing unless `--hold-hpa` allows it; a workload that already stands at the asked replica
count with no HPA able to move it needs no change at all.

CPU. `PodCpu` reads the PodMetrics of the workload's pods every `period` seconds while a level runs. Each
sample is already an average over the metrics pipeline's window (15 s upstream; `15 / time_factor` on the local
cluster), so the level's CPU per pod is the mean of the samples whose window lies inside the level, divided by
the pod's CPU request: the utilization the HPA computes. On the local cluster that usage is the pod process's
real CPU x the cluster's CPU scale (`afsuite cluster status` shows it); on a real cluster the scale is 1.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from experiments.afchaos import plan, wire
from experiments.afchaos.policy import Refused, SafetyPolicy
from experiments.afchaos.safety import INSTANCE_TYPE_LABEL, LOCAL_INSTANCE_TYPE
from harness.observer_metrics import milli, pod_requests, seconds
from harness.observer_rows import ts
from harness.target import Target, kube_api_client

Obj = dict[str, Any]
Echo = Callable[[str], None]
HELD_ANNOTATION = "afsuite.agentflow.dev/sweep-held"  # on a held HPA: the bounds it had ({"minReplicas", ...})


def release_patch(held: str) -> Obj:
    """The merge patch that gives an HPA back the bounds its HELD_ANNOTATION kept, and drops the annotation."""
    bounds = json.loads(held)
    return {"metadata": {"annotations": {HELD_ANNOTATION: None}},
            "spec": {"minReplicas": bounds.get("minReplicas"), "maxReplicas": int(bounds["maxReplicas"])}}


class Kube:
    """JSON over the official kubernetes client built from the target's kubeconfig; every change it sends passes
    the safety guard (installed before the client is made)."""

    def __init__(self, target: Target) -> None:
        wire.install()
        self._client: Any = kube_api_client(target)

    def call(self, method: str, path: str, body: Any = None, **query: str) -> Obj:
        ctype = "application/merge-patch+json" if method == "PATCH" else "application/json"
        resp = self._client.call_api(path, method, query_params=list(query.items()),
                                     header_params={"Accept": "application/json", "Content-Type": ctype}, body=body,
                                     auth_settings=["BearerToken"], _preload_content=False,
                                     _return_http_data_only=True, _request_timeout=15.0)
        return json.loads(resp.data) if resp.data else {}

    def close(self) -> None:
        self._client.close()


@contextlib.contextmanager
def guard_env(target: Target, policy: SafetyPolicy, run_dir: str) -> Iterator[None]:
    """The process environment the safety guard reads (the target's kubeconfig and context, the run's policy, the
    run directory for `chaos/changes.jsonl`) for the sweep's duration; the previous values come back after."""
    wanted = {"KUBECONFIG": target.kubeconfig, "KUBERNETES_CONTEXT": target.context, "AFSUITE_RUN_DIR": run_dir,
              **policy.to_env()}
    before = {key: os.environ.get(key) for key in wanted}
    try:
        for key, value in wanted.items():
            if value:
                os.environ[key] = str(value)
            else:
                os.environ.pop(key, None)
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def is_local_cluster(kube: Kube) -> bool:
    """Every node is one of the local cluster's (the label the safety guard trusts); False when unreadable."""
    try:
        nodes = kube.call("GET", "/api/v1/nodes").get("items") or []
    except Exception:  # a 403 or any other answer: not known to be local
        return False
    return bool(nodes) and all((n["metadata"].get("labels") or {}).get(INSTANCE_TYPE_LABEL) == LOCAL_INSTANCE_TYPE
                               for n in nodes)


@dataclass
class Workload:
    """What the sweep reads from the live workload (and puts back)."""

    namespace: str
    deployment: str
    selector: str
    replicas: int
    cpu_request_m: float
    hpa_name: str | None = None
    hpa_bounds: tuple[int | None, int] | None = None  # (minReplicas, maxReplicas) as found
    hpa_target: float = 0.70
    changed: list[str] = field(default_factory=list)


def read_workload(kube: Kube, target: Target) -> Workload:
    """The Deployment's replicas and CPU request, the HPA that scales it (if any) and its CPU target."""
    ns = target.namespace
    dep = kube.call("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/{target.deployment}")
    cpu_m, _ = pod_requests({"spec": (dep.get("spec") or {}).get("template", {}).get("spec") or {}})
    if not cpu_m:
        raise ValueError(f"deployment {ns}/{target.deployment}: its containers request no CPU, so there is no CPU "
                         "utilization (what the HPA reads) to compare with a target; set resources.requests.cpu")
    work = Workload(ns, target.deployment, target.selector, int((dep.get("spec") or {}).get("replicas") or 0), cpu_m)
    for hpa in kube.call("GET", f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers").get("items") or []:
        spec = hpa.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        if ref.get("kind") == "Deployment" and ref.get("name") == target.deployment:
            work.hpa_name = hpa["metadata"]["name"]
            work.hpa_bounds = (spec.get("minReplicas"), int(spec["maxReplicas"]))
            held = (hpa["metadata"].get("annotations") or {}).get(HELD_ANNOTATION)
            if held:  # a killed sweep held it and nobody ran `afsuite recover`: its real bounds are kept there
                before = json.loads(held)
                work.hpa_bounds = (before.get("minReplicas"), int(before["maxReplicas"]))
            for metric in spec.get("metrics") or []:
                res = metric.get("resource") or {}
                if metric.get("type") == "Resource" and res.get("name") == "cpu" and \
                        (res.get("target") or {}).get("averageUtilization") is not None:
                    work.hpa_target = float(res["target"]["averageUtilization"]) / 100
    return work


def hold(kube: Kube, work: Workload, replicas: int, may_change: bool, echo: Echo) -> None:
    """Hold the workload at `replicas` (see the module docstring); raises Refused when a change is needed and
    not allowed."""
    hpa_path = f"/apis/autoscaling/v2/namespaces/{work.namespace}/horizontalpodautoscalers/{work.hpa_name}"
    dep_path = f"/apis/apps/v1/namespaces/{work.namespace}/deployments/{work.deployment}"
    needs_hpa = work.hpa_bounds is not None and work.hpa_bounds != (replicas, replicas)
    needs_scale = work.replicas != replicas
    if (needs_hpa or needs_scale) and not may_change:
        what = f"HPA {work.hpa_name} (min/max {work.hpa_bounds})" if work.hpa_name else f"deployment {work.deployment}"
        raise Refused(f"the sweep would hold {what} in {work.namespace} at {replicas} replicas, and this is not the "
                      "local cluster: pass --hold-hpa to allow that change (it is put back when the sweep ends), or "
                      "hold the workload yourself and pass --replicas with its replica count")
    with plan.intent("sweep_hold", f"capacity sweep at a fixed {replicas} replicas"):
        if needs_hpa:
            low, high = work.hpa_bounds  # type: ignore[misc]
            kept = json.dumps({"minReplicas": low, "maxReplicas": high})
            kube.call("PATCH", hpa_path, {"metadata": {"annotations": {HELD_ANNOTATION: kept}},
                                          "spec": {"minReplicas": replicas, "maxReplicas": replicas}})
            work.changed.append("hpa")
            echo(f"sweep: HPA {work.hpa_name} held at {replicas} replicas (was min {low} max {high}; put back at "
                 "the end, or by `afsuite recover` after a kill)")
        if needs_scale:
            kube.call("PATCH", dep_path, {"spec": {"replicas": replicas}})
            work.changed.append("deployment")
            echo(f"sweep: deployment {work.deployment} scaled {work.replicas} -> {replicas}")


def restore(kube: Kube, work: Workload, echo: Echo) -> None:
    """Put back what `hold` changed (a restoring change for the guard)."""
    with plan.intent("sweep_restore", "the capacity sweep ended", restoring=True):
        if "hpa" in work.changed and work.hpa_bounds is not None:
            low, high = work.hpa_bounds
            kube.call("PATCH", f"/apis/autoscaling/v2/namespaces/{work.namespace}/horizontalpodautoscalers/"
                               f"{work.hpa_name}", release_patch(json.dumps({"minReplicas": low, "maxReplicas": high})))
            echo(f"sweep: HPA {work.hpa_name} put back to min {low} max {high}")
        elif "deployment" in work.changed:
            kube.call("PATCH", f"/apis/apps/v1/namespaces/{work.namespace}/deployments/{work.deployment}",
                      {"spec": {"replicas": work.replicas}})
            echo(f"sweep: deployment {work.deployment} put back to {work.replicas} replicas")
    work.changed.clear()


def ready_pods(kube: Kube, work: Workload) -> tuple[list[str], int]:
    """(Ready pods not terminating, every pod of the selector) of the workload."""
    items = kube.call("GET", f"/api/v1/namespaces/{work.namespace}/pods", labelSelector=work.selector).get("items")
    ready = [p["metadata"]["name"] for p in items or [] if not p["metadata"].get("deletionTimestamp") and any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (p.get("status") or {}).get("conditions") or [])]
    return sorted(ready), len(items or [])


def wait_held(kube: Kube, work: Workload, replicas: int, timeout: float, echo: Echo) -> list[str]:
    """Until exactly `replicas` pods exist and all are Ready (scale-down victims gone); their names."""
    deadline = time.monotonic() + timeout
    while True:
        ready, total = ready_pods(kube, work)
        if len(ready) == total == replicas:
            echo(f"sweep: {replicas} pod(s) Ready: {', '.join(ready)}")
            return ready
        if time.monotonic() > deadline:
            raise RuntimeError(f"deployment {work.namespace}/{work.deployment}: {len(ready)} of {total} pods Ready "
                               f"after {timeout:.0f} s, expected exactly {replicas}; see its pods' events")
        time.sleep(1.0)  # poll interval of a deadline-bounded wait


class PodCpu:
    """Samples the workload's PodMetrics in a thread between `start()` and `stop()` (see the module docstring)."""

    def __init__(self, kube: Kube, work: Workload, period: float = 2.0) -> None:
        self.kube, self.work, self.period = kube, work, period
        self.samples: list[tuple[float, str, float, float]] = []  # (window start, pod, millicores, window s)
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        path = f"/apis/metrics.k8s.io/v1beta1/namespaces/{self.work.namespace}/pods"
        try:
            items = self.kube.call("GET", path, labelSelector=self.work.selector).get("items") or []
        except Exception as exc:  # recorded; a level with no sample says so
            self.errors.append(str(exc)[:200])
            return
        for item in items:
            cpu = [milli((c.get("usage") or {}).get("cpu")) for c in item.get("containers") or []]
            window = seconds(str(item.get("window") or "")) or 0.0
            stamp = _epoch(item.get("timestamp")) or time.time()
            self.samples.append((stamp - window, item["metadata"]["name"], sum(v or 0.0 for v in cpu), window))

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self._sample()

    def start(self) -> None:
        self.samples.clear()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sweep-pod-cpu", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(20)

    def utilization(self, since: float, until: float) -> tuple[float, dict[str, float]]:
        """(mean over pods of their CPU / request, per pod) from samples whose window lies in [since, until];
        NaN when there is none."""
        per_pod: dict[str, list[float]] = {}
        seen: set[tuple[str, float]] = set()
        for start, pod, cpu_m, window in self.samples:
            if start >= since and start + window <= until and (pod, start) not in seen:
                seen.add((pod, start))
                per_pod.setdefault(pod, []).append(cpu_m / self.work.cpu_request_m)
        means = {pod: sum(v) / len(v) for pod, v in per_pod.items()}
        return (sum(means.values()) / len(means) if means else float("nan")), means


def _epoch(stamp: object) -> float | None:
    """A PodMetrics timestamp as epoch seconds (the observer's parser); None when absent or malformed."""
    try:
        return ts(str(stamp)) if stamp else None
    except ValueError:
        return None
