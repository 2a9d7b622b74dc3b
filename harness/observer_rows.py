"""The functions that turn API objects into the rows of `cluster/*.parquet` (one per object per sample).
Times are epoch seconds; Kubernetes timestamps are converted; absent values are null."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyarrow as pa

from harness.observer_metrics import metric_values, milli, pod_requests, seconds
from harness.stream_budget import stream_budget
from rundir.schemas import CLUSTER_SCHEMAS

Obj = dict[str, Any]

# The tables and their columns are the contract's (rundir.columns.CLUSTER); the row functions below fill them.
SCHEMAS: dict[str, pa.Schema] = CLUSTER_SCHEMAS


def ts(value: str | None) -> float | None:
    """A Kubernetes timestamp (`2026-01-02T03:04:05Z`, optionally with fractions) as epoch seconds."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def zone_of(node: Obj) -> str | None:
    return (node["metadata"].get("labels") or {}).get("topology.kubernetes.io/zone")


def _cond(obj: Obj, kind: str) -> Obj | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)


def _j(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))


def gap_row(now: float, source: str, exc: BaseException) -> Obj:
    text = f"{type(exc).__name__}: {exc}"
    return {"time": now, "source": source, "error": text[:500]}


def slow_row(now: float, source: str, took: float) -> Obj:
    """A sample that came, but so late that the cluster went unobserved meanwhile."""
    return {"time": now, "source": source, "error": f"SlowAnswer: the API server took {took:.1f} s to answer"}


def _budget_columns(pod_spec: Obj) -> Obj:
    """The stream budget settings of the pod template (harness/stream_budget.py) for survival.by_length."""
    b = stream_budget(pod_spec)
    return {"grace_s": b.grace_s, "prestop_s": b.prestop_s, "server_drain_s": b.server_s,
            "agent_timeout_s": b.agent_timeout_s}


def deployment_rows(now: float, items: list[Obj], _z: dict) -> list[Obj]:
    out = []
    for d in items:
        st, spec = d.get("status") or {}, d.get("spec") or {}
        pod_spec = (spec.get("template") or {}).get("spec") or {}
        anti = ((pod_spec.get("affinity") or {}).get("podAntiAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution")
        annotations = ((spec.get("template") or {}).get("metadata") or {}).get("annotations") or {}
        out.append({"time": now, "name": d["metadata"]["name"], "generation": d["metadata"].get("generation"),
                    "observed_generation": st.get("observedGeneration"), "spec_replicas": spec.get("replicas"),
                    "replicas": st.get("replicas", 0), "updated": st.get("updatedReplicas", 0),
                    "ready": st.get("readyReplicas", 0), "available": st.get("availableReplicas", 0),
                    "unavailable": st.get("unavailableReplicas", 0),
                    "restarted_at": annotations.get("kubectl.kubernetes.io/restartedAt"),
                    "anti_affinity_required": _j(anti), "spread": _j(pod_spec.get("topologySpreadConstraints")),
                    **_budget_columns(pod_spec)})
    return out


def replicaset_rows(now: float, items: list[Obj], _z: dict) -> list[Obj]:
    out = []
    for rs in items:
        md, st = rs["metadata"], rs.get("status") or {}
        out.append({"time": now, "name": md["name"],
                    "revision": (md.get("annotations") or {}).get("deployment.kubernetes.io/revision"),
                    "template_hash": (md.get("labels") or {}).get("pod-template-hash"),
                    "spec_replicas": (rs.get("spec") or {}).get("replicas"), "replicas": st.get("replicas", 0),
                    "ready": st.get("readyReplicas", 0), "available": st.get("availableReplicas", 0)})
    return out


def pod_rows(now: float, items: list[Obj], zones: dict[str, str | None]) -> list[Obj]:
    out = []
    for p in items:
        md, st, spec = p["metadata"], p.get("status") or {}, p.get("spec") or {}
        ready, sched = _cond(p, "Ready"), _cond(p, "PodScheduled")
        is_ready = bool(ready and ready.get("status") == "True")
        node = spec.get("nodeName")
        cpu_request, memory_request = pod_requests(p)
        out.append({
            "time": now, "pod": md["name"], "uid": md.get("uid"), "node": node, "zone": zones.get(node or ""),
            "phase": st.get("phase"), "ready": is_ready, "terminating": md.get("deletionTimestamp") is not None,
            "restarts": sum(int(c.get("restartCount") or 0) for c in st.get("containerStatuses") or []),
            "created": ts(md.get("creationTimestamp")),
            "ready_since": ts(ready.get("lastTransitionTime")) if is_ready and ready else None,
            "deleted_at": ts(md.get("deletionTimestamp")),
            "template_hash": (md.get("labels") or {}).get("pod-template-hash"), "pod_ip": st.get("podIP"),
            "scheduled": bool(sched and sched.get("status") == "True") or node is not None,
            "unschedulable_reason": sched.get("message") if sched and sched.get("status") == "False" else None,
            "start_time": ts(st.get("startTime")), "ready_transition": ts(ready.get("lastTransitionTime")) if ready
            else None, "cpu_request": cpu_request, "memory_request": memory_request,
        })
    return out


def node_rows(now: float, items: list[Obj], zones: dict[str, str | None]) -> list[Obj]:
    out = []
    for n in items:
        ready = _cond(n, "Ready")
        taints = [f"{t['key']}:{t.get('effect', '')}" for t in (n.get("spec") or {}).get("taints") or []]
        out.append({"time": now, "node": n["metadata"]["name"], "zone": zone_of(n),
                    "unschedulable": bool((n.get("spec") or {}).get("unschedulable", False)),
                    "ready": ready.get("status") if ready else None, "taints": ",".join(taints) or None})
    return out


def _cpu_utilization(metrics: list[Obj]) -> float | None:
    for m in metrics:
        res = m.get("resource") or {}
        if m.get("type") == "Resource" and res.get("name") == "cpu":
            value = (res.get("current") or {}).get("averageUtilization")
            return None if value is None else float(value)
    return None


def _cpu_target(spec: Obj) -> float | None:
    for m in spec.get("metrics") or []:
        res = m.get("resource") or {}
        if m.get("type") == "Resource" and res.get("name") == "cpu":
            value = (res.get("target") or {}).get("averageUtilization")
            return None if value is None else float(value)
    return None


def hpa_rows(now: float, items: list[Obj], _z: dict) -> list[Obj]:
    out = []
    for h in items:
        spec, st = h.get("spec") or {}, h.get("status") or {}
        metrics = st.get("currentMetrics") or []
        out.append({"time": now, "name": h["metadata"]["name"], "min_replicas": spec.get("minReplicas", 1),
                    "max_replicas": spec.get("maxReplicas"), "current_replicas": st.get("currentReplicas", 0),
                    "desired_replicas": st.get("desiredReplicas", 0), "last_scale_time": ts(st.get("lastScaleTime")),
                    "cpu_utilization": _cpu_utilization(metrics), "cpu_target": _cpu_target(spec),
                    "metrics": _j(metrics),
                    "behavior": _j(spec.get("behavior")), "conditions": _j(st.get("conditions")),
                    "target_ref": _target_ref(spec),
                    "metric_values": metric_values(spec.get("metrics") or [], metrics)})
    return out


def _target_ref(spec: Obj) -> str | None:
    ref = spec.get("scaleTargetRef") or {}
    return f"{ref.get('kind')}/{ref.get('name')}" if ref.get("name") else None


def pod_metric_rows(now: float, items: list[Obj], _z: dict) -> list[Obj]:
    """One row per metrics.k8s.io PodMetrics: CPU millicores and memory bytes summed over its containers, with
    the sample's own timestamp and window (how old and how long the pipeline's measurement is)."""
    out = []
    for item in items:
        usage = [c.get("usage") or {} for c in item.get("containers") or []]
        cpu = [v for v in (milli(u.get("cpu")) for u in usage) if v is not None]
        memory = [v for v in (milli(u.get("memory")) for u in usage) if v is not None]
        out.append({"time": now, "pod": item["metadata"]["name"], "cpu": sum(cpu) if cpu else None,
                    "memory": sum(memory) / 1000.0 if memory else None, "timestamp": ts(item.get("timestamp")),
                    "window": seconds(str(item.get("window") or ""))})
    return out


def pdb_rows(now: float, items: list[Obj], _z: dict) -> list[Obj]:
    out = []
    for p in items:
        spec, st = p.get("spec") or {}, p.get("status") or {}
        out.append({"time": now, "name": p["metadata"]["name"],
                    "min_available": None if spec.get("minAvailable") is None else str(spec["minAvailable"]),
                    "max_unavailable": None if spec.get("maxUnavailable") is None else str(spec["maxUnavailable"]),
                    "expected_pods": st.get("expectedPods", 0), "desired_healthy": st.get("desiredHealthy", 0),
                    "current_healthy": st.get("currentHealthy", 0),
                    "disruptions_allowed": st.get("disruptionsAllowed", 0),
                    "generation": p["metadata"].get("generation"), "observed_generation": st.get("observedGeneration")})
    return out


def endpoint_rows(now: float, items: list[Obj], _z: dict) -> list[Obj]:
    out = []
    for sl in items:
        service = (sl["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
        ports = sl.get("ports") or []
        port = ports[0].get("port") if ports else None
        for ep in sl.get("endpoints") or []:
            cond = ep.get("conditions") or {}
            for addr in ep.get("addresses") or []:
                out.append({"time": now, "slice": sl["metadata"]["name"], "service": service,
                            "pod": (ep.get("targetRef") or {}).get("name"), "address": addr, "port": port,
                            "ready": bool(cond.get("ready", False)), "serving": bool(cond.get("serving", False)),
                            "terminating": bool(cond.get("terminating", False)), "node": ep.get("nodeName"),
                            "zone": ep.get("zone")})
    return out


def event_rows(now: float, items: list[Obj], _z: dict) -> list[Obj]:
    out = []
    for ev in items:
        inv = ev.get("involvedObject") or {}
        out.append({"time": now, "type": ev.get("type"), "reason": ev.get("reason"),
                    "message": (ev.get("message") or "")[:2000], "kind": inv.get("kind"), "object": inv.get("name"),
                    "count": int(ev.get("count") or 1), "first": ts(ev.get("firstTimestamp") or ev.get("eventTime")),
                    "last": ts(ev.get("lastTimestamp") or ev.get("eventTime")),
                    "source": (ev.get("source") or {}).get("component") or ev.get("reportingComponent")})
    return out


ROW_MAKERS: dict[str, Callable[[float, list[Obj], dict[str, str | None]], list[Obj]]] = {
    "deployments": deployment_rows, "replicasets": replicaset_rows, "pods": pod_rows, "nodes": node_rows,
    "hpa": hpa_rows, "pdb": pdb_rows, "endpoints": endpoint_rows, "events": event_rows,
    "pod_metrics": pod_metric_rows,
}
