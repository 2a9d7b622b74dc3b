"""Server-side printing: `meta.k8s.io/v1 Table` responses for `kubectl get` (Accept: ...;as=Table).

Columns follow upstream's printers for the kinds served (priority 1 columns appear with `-o wide`);
any other kind gets Name / Created At.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..selectors import selector_to_string
from .objects import parse_time
from .resources import ResourceType

__all__ = ["age", "human_duration", "table", "wants_table"]

Row = list[Any]
_S, _I, _D = "string", "integer", "date"


def wants_table(accept: str) -> bool:
    return "as=Table" in accept.replace(" ", "")


def human_duration(seconds: float) -> str:
    """Upstream's duration.HumanDuration (what the AGE column shows)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years = hours // (24 * 365)
        return f"{years}y{(hours // 24) % 365}d"
    return f"{hours // (24 * 365)}y"


def age(obj: dict[str, Any]) -> str:
    """The AGE column of an object."""
    created = obj.get("metadata", {}).get("creationTimestamp")
    return human_duration(time.time() - parse_time(created)) if created else "<unknown>"


def _containers(spec: dict[str, Any]) -> tuple[str, str]:
    cs = spec.get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _pod_status(pod: dict[str, Any]) -> str:
    status = pod.get("status", {})
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for cs in status.get("containerStatuses") or ():
        state = cs.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason") and reason == "Running":
            reason = state["terminated"]["reason"]
    if pod.get("metadata", {}).get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _pod(pod: dict[str, Any]) -> Row:
    status, spec = pod.get("status", {}), pod.get("spec", {})
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    gates = spec.get("readinessGates") or []
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(spec.get('containers') or [])}",
        _pod_status(pod),
        restarts,
        age(pod),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        f"0/{len(gates)}" if gates else "<none>",
    ]


def _workload(obj: dict[str, Any], deployment: bool) -> Row:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    names, images = _containers(spec.get("template", {}).get("spec", {}))
    selector = selector_to_string(spec.get("selector"))
    name = obj["metadata"]["name"]
    if deployment:
        ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}"
        head = [name, ready, status.get("updatedReplicas", 0), status.get("availableReplicas", 0)]
    else:
        head = [name, spec.get("replicas", 0), status.get("replicas", 0), status.get("readyReplicas", 0)]
    return [*head, age(obj), names, images, selector]


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


def _hpa(hpa: dict[str, Any]) -> Row:
    if hpa.get("apiVersion") == "autoscaling/v1":
        from .kinds.horizontalpodautoscalers_v1 import from_v1

        hpa = from_v1(hpa)
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


def _pdb(pdb: dict[str, Any]) -> Row:
    spec = pdb.get("spec", {})
    return [
        pdb["metadata"]["name"],
        str(spec["minAvailable"]) if "minAvailable" in spec else "N/A",
        str(spec["maxUnavailable"]) if "maxUnavailable" in spec else "N/A",
        pdb.get("status", {}).get("disruptionsAllowed", 0),
        age(pdb),
    ]


def _node(node: dict[str, Any]) -> Row:
    status, labels = node.get("status", {}), node["metadata"].get("labels") or {}
    ready = next((c for c in status.get("conditions") or () if c.get("type") == "Ready"), None)
    state = "Unknown" if ready is None else ("Ready" if ready.get("status") == "True" else "NotReady")
    if node.get("spec", {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or ()}
    info = status.get("nodeInfo", {})
    return [
        node["metadata"]["name"],
        state,
        ",".join(roles) or "<none>",
        age(node),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP", "<none>"),
        addresses.get("ExternalIP", "<none>"),
        info.get("osImage", "<unknown>"),
        info.get("kernelVersion", "<unknown>"),
        info.get("containerRuntimeVersion", "<unknown>"),
    ]


def _service(svc: dict[str, Any]) -> Row:
    spec = svc.get("spec", {})
    ports = []
    for p in spec.get("ports") or ():
        node_port = f":{p['nodePort']}" if p.get("nodePort") else ""
        ports.append(f"{p.get('port')}{node_port}/{p.get('protocol', 'TCP')}")
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    external = ",".join(spec.get("externalIPs") or ()) or "<none>"
    return [
        svc["metadata"]["name"],
        spec.get("type", "ClusterIP"),
        spec.get("clusterIP", "<none>"),
        external,
        ",".join(ports) or "<none>",
        age(svc),
        selector or "<none>",
    ]


def _endpoints(ep: dict[str, Any]) -> Row:
    pairs = []
    for subset in ep.get("subsets") or ():
        for addr in subset.get("addresses") or ():
            for port in subset.get("ports") or [{}]:
                pairs.append(f"{addr.get('ip')}:{port['port']}" if "port" in port else str(addr.get("ip")))
    shown = ",".join(pairs[:3]) + (f" + {len(pairs) - 3} more..." if len(pairs) > 3 else "")
    return [ep["metadata"]["name"], shown or "<none>", age(ep)]


def _slice(es: dict[str, Any]) -> Row:
    ports = ",".join(str(p.get("port", "")) for p in es.get("ports") or ()) or "<unset>"
    addrs = [a for e in es.get("endpoints") or () for a in e.get("addresses") or ()]
    shown = ",".join(addrs[:3]) + (f" + {len(addrs) - 3} more..." if len(addrs) > 3 else "")
    return [es["metadata"]["name"], es.get("addressType", ""), ports, shown or "<unset>", age(es)]


def _event(ev: dict[str, Any]) -> Row:
    inv = ev.get("involvedObject") or ev.get("regarding") or {}
    last = ev.get("lastTimestamp") or ev.get("eventTime") or ev["metadata"].get("creationTimestamp")
    seen = human_duration(time.time() - parse_time(last)) if last else "<unknown>"
    return [
        seen,
        ev.get("type", ""),
        ev.get("reason", ""),
        f"{inv.get('kind', '').lower()}/{inv.get('name', '')}",
        ev.get("message", ev.get("note", "")),
    ]


def _namespace(ns: dict[str, Any]) -> Row:
    return [ns["metadata"]["name"], ns.get("status", {}).get("phase", ""), age(ns)]


def _default(obj: dict[str, Any]) -> Row:
    return [obj["metadata"]["name"], obj["metadata"].get("creationTimestamp", "")]


def _cols(*spec: tuple[str, str, int]) -> list[dict[str, Any]]:
    return [
        {"name": n, "type": t, "format": "name" if n == "Name" else "", "description": n, "priority": p}
        for n, t, p in spec
    ]


_AGE = ("Age", _S, 0)
_PRINTERS: dict[str, tuple[list[dict[str, Any]], Callable[[dict[str, Any]], Row]]] = {
    "pods": (
        _cols(("Name", _S, 0), ("Ready", _S, 0), ("Status", _S, 0), ("Restarts", _I, 0), _AGE, ("IP", _S, 1),
              ("Node", _S, 1), ("Nominated Node", _S, 1), ("Readiness Gates", _S, 1)),
        _pod,
    ),
    "deployments": (
        _cols(("Name", _S, 0), ("Ready", _S, 0), ("Up-to-date", _I, 0), ("Available", _I, 0), _AGE,
              ("Containers", _S, 1), ("Images", _S, 1), ("Selector", _S, 1)),
        lambda o: _workload(o, True),
    ),
    "replicasets": (
        _cols(("Name", _S, 0), ("Desired", _I, 0), ("Current", _I, 0), ("Ready", _I, 0), _AGE,
              ("Containers", _S, 1), ("Images", _S, 1), ("Selector", _S, 1)),
        lambda o: _workload(o, False),
    ),
    "horizontalpodautoscalers": (
        _cols(("Name", _S, 0), ("Reference", _S, 0), ("Targets", _S, 0), ("MinPods", _S, 0),
              ("MaxPods", _I, 0), ("Replicas", _I, 0), _AGE),
        _hpa,
    ),
    "poddisruptionbudgets": (
        _cols(("Name", _S, 0), ("Min Available", _S, 0), ("Max Unavailable", _S, 0),
              ("Allowed Disruptions", _I, 0), _AGE),
        _pdb,
    ),
    "nodes": (
        _cols(("Name", _S, 0), ("Status", _S, 0), ("Roles", _S, 0), _AGE, ("Version", _S, 0),
              ("Internal-IP", _S, 1), ("External-IP", _S, 1), ("OS-Image", _S, 1), ("Kernel-Version", _S, 1),
              ("Container-Runtime", _S, 1)),
        _node,
    ),
    "services": (
        _cols(("Name", _S, 0), ("Type", _S, 0), ("Cluster-IP", _S, 0), ("External-IP", _S, 0),
              ("Port(s)", _S, 0), _AGE, ("Selector", _S, 1)),
        _service,
    ),
    "endpoints": (_cols(("Name", _S, 0), ("Endpoints", _S, 0), _AGE), _endpoints),
    "endpointslices": (
        _cols(("Name", _S, 0), ("AddressType", _S, 0), ("Ports", _S, 0), ("Endpoints", _S, 0), _AGE),
        _slice,
    ),
    "events": (
        _cols(("Last Seen", _S, 0), ("Type", _S, 0), ("Reason", _S, 0), ("Object", _S, 0), ("Message", _S, 0)),
        _event,
    ),
    "namespaces": (_cols(("Name", _S, 0), ("Status", _S, 0), _AGE), _namespace),
}
_DEFAULT = (_cols(("Name", _S, 0), ("Created At", _D, 0)), _default)


def _row_object(obj: dict[str, Any], include: str) -> dict[str, Any] | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(
    rt: ResourceType, objects: list[dict[str, Any]], resource_version: str, include: str = "Metadata"
) -> dict[str, Any]:
    """A Table of `objects`; `include` is the includeObject parameter (None | Metadata | Object)."""
    from . import kinds

    rules = kinds.rules_of(rt.key)
    if rules is not None and rules.row is not None:
        columns, printer = _cols(*rules.columns), rules.row
    else:
        columns, printer = _PRINTERS.get(rt.plural, _DEFAULT)
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": printer(obj)}
        embedded = _row_object(obj, include)
        if embedded is not None:
            row["object"] = embedded
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": columns,
        "rows": rows,
    }
