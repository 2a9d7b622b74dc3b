"""Per-kind defaulting, validation and normalisation applied by the store on every write.

Mirrors what the real API server does for the kinds served here, as far as clients can see: defaults
(pod restartPolicy, deployment strategy, service clusterIP, HPA metrics/behavior), status reset on
create, the required-but-zero status fields the official clients insist on (ReplicaSet `replicas`, HPA
`desiredReplicas`, PDB counters), omitted zero fields elsewhere, the cordon taint on nodes, and the
validations that clients rely on getting a 422 for.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from typing import Any

from ..selectors import label_selector_requirements, match_label_selector, validate_label_key, validate_label_value
from . import kinds
from .errors import Invalid
from .objects import now_time
from .podspec import pod_spec_defaults
from .resources import ResourceType

__all__ = ["ServiceIPAllocator", "apply_defaults", "finish_write", "prepare_create", "validate"]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_LABEL_KINDS = {"namespaces", "services"}
CORDON_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}

# Status fields upstream declares `omitempty`: dropped when zero/empty so clients see what they would see.
_OMIT_ZERO = {
    "deployments": (
        "observedGeneration",
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
        "terminatingReplicas",
        "collisionCount",
        "conditions",
    ),
    "replicasets": (
        "observedGeneration",
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "terminatingReplicas",
        "conditions",
    ),
    "horizontalpodautoscalers": ("observedGeneration", "currentReplicas", "currentMetrics", "conditions"),
    "poddisruptionbudgets": ("observedGeneration", "disruptedPods", "conditions"),
}
# Status fields that are NOT omitempty upstream (clients require them): always present, 0 by default.
_REQUIRED_STATUS = {
    "replicasets": ("replicas",),
    "horizontalpodautoscalers": ("desiredReplicas",),
    "poddisruptionbudgets": ("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"),
}


class ServiceIPAllocator:
    """Hands out ClusterIPs from a service CIDR (default 10.96.0.0/12), skipping ones in use."""

    def __init__(self, cidr: str = "10.96.0.0/12") -> None:
        self.network = ipaddress.ip_network(cidr)
        self._next = 1
        self._used: set[str] = set()
        self._lock = threading.Lock()

    def allocate(self) -> str:
        with self._lock:
            while True:
                ip = str(self.network[self._next])
                self._next = self._next + 1 if self._next + 2 < self.network.num_addresses else 1
                if ip not in self._used:
                    self._used.add(ip)
                    return ip

    def reserve(self, ip: str) -> None:
        with self._lock:
            self._used.add(ip)

    def release(self, ip: str) -> None:
        with self._lock:
            self._used.discard(ip)

    def dry(self) -> _DryAllocator:
        """An allocator for a dry run: answers the address a real create would get, reserves nothing."""
        return _DryAllocator(self)


class _DryAllocator:
    def __init__(self, real: ServiceIPAllocator) -> None:
        self.real = real

    def allocate(self) -> str:
        real = self.real
        with real._lock:
            index = real._next
            while str(real.network[index]) in real._used:
                index = index + 1 if index + 2 < real.network.num_addresses else 1
            return str(real.network[index])

    def reserve(self, ip: str) -> None:
        return None


def _invalid(rt: ResourceType, obj: dict[str, Any], field: str, message: str) -> Invalid:
    name = obj.get("metadata", {}).get("name") or obj.get("metadata", {}).get("generateName") or ""
    return Invalid.field(rt.kind, name, field, message, rt.group)


def validate(rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None = None) -> None:
    """Raise Invalid (422) for what upstream rejects and clients depend on: names, labels, selectors, and the
    kind's own rules (`kinds/`; `old` is the stored object on update, None on create)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(rt, {}, "metadata", "Required value")
    name = meta.get("name")
    pattern, limit = (_LABEL, 63) if rt.plural in _DNS_LABEL_KINDS else (_SUBDOMAIN, 253)
    if not isinstance(name, str) or not name:
        raise _invalid(rt, obj, "metadata.name", "Required value: name or generateName is required")
    if rt.group == "rbac.authorization.k8s.io":  # RBAC names are path segments ("system:discovery")
        if name in (".", "..") or "/" in name or "%" in name:
            raise _invalid(rt, obj, "metadata.name", f"Invalid value: {name!r}: may not be '.' or '..' and may "
                           "not contain '/' or '%'")
    elif len(name) > limit or not pattern.match(name):
        raise _invalid(
            rt, obj, "metadata.name", f"Invalid value: {name!r}: must be a lowercase RFC 1123 name (max {limit})"
        )
    for field in ("labels", "annotations"):
        values = meta.get(field) or {}
        if not isinstance(values, dict):
            raise _invalid(rt, obj, f"metadata.{field}", "must be a map of strings")
        for key, value in values.items():
            try:
                validate_label_key(key)
                if field == "labels":
                    validate_label_value(value)
                elif not isinstance(value, str):
                    raise ValueError(f"annotation {key!r} must be a string, got {type(value).__name__}")
            except ValueError as exc:
                raise _invalid(rt, obj, f"metadata.{field}", str(exc)) from None
    rules = kinds.rules_of(rt.key)
    if rules is not None and rules.validate is not None:
        rules.validate(obj, old)
    if rt.plural in ("deployments", "replicasets"):
        _validate_workload(rt, obj)
    if rt.plural == "poddisruptionbudgets":
        spec = obj.get("spec") or {}
        if "minAvailable" in spec and "maxUnavailable" in spec:
            raise _invalid(rt, obj, "spec", "minAvailable and maxUnavailable cannot be both set")


def _validate_workload(rt: ResourceType, obj: dict[str, Any]) -> None:
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        raise _invalid(rt, obj, "spec.selector", "Required value")
    try:
        label_selector_requirements(selector)
    except ValueError as exc:
        raise _invalid(rt, obj, "spec.selector", str(exc)) from None
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not match_label_selector(selector, labels):
        raise _invalid(
            rt, obj, "spec.template.metadata.labels", "Invalid value: `selector` does not match template `labels`"
        )
    replicas = spec.get("replicas", 0)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise _invalid(rt, obj, "spec.replicas", f"Invalid value: {replicas!r}: must be a non-negative integer")


def _template_defaults(spec: dict[str, Any]) -> None:
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    pod_spec_defaults(template.setdefault("spec", {}))


def _hpa_defaults(spec: dict[str, Any]) -> None:
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


def _service_defaults(obj: dict[str, Any], ips: ServiceIPAllocator | _DryAllocator) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec.get("clusterIP") in (None, ""):
        spec["clusterIP"] = ips.allocate()
    elif spec["clusterIP"] != "None":
        ips.reserve(spec["clusterIP"])
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))


def prepare_create(
    rt: ResourceType, obj: dict[str, Any], reset_status: bool, ips: ServiceIPAllocator | _DryAllocator
) -> None:
    """Defaults and the status a freshly created object starts with (in place)."""
    name = obj["metadata"]["name"]
    if reset_status and rt.has_status and rt.plural != "nodes":
        obj["status"] = {}
    plural = rt.plural
    apply_defaults(rt, obj)
    if plural == "pods":
        pod_spec_defaults(obj.setdefault("spec", {}))
        obj["spec"].setdefault("serviceAccountName", "default")  # the ServiceAccount admission plugin
        obj["spec"].setdefault("serviceAccount", obj["spec"]["serviceAccountName"])
        status = obj.setdefault("status", {})
        status.setdefault("phase", "Pending")
    elif plural in ("deployments", "replicasets"):
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        if plural == "deployments":
            spec.setdefault("progressDeadlineSeconds", 600)
            rolling = {"maxUnavailable": "25%", "maxSurge": "25%"}
            spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": rolling})
        else:
            spec.pop("revisionHistoryLimit")
        _template_defaults(spec)
    elif plural == "horizontalpodautoscalers":
        _hpa_defaults(obj.setdefault("spec", {}))
    elif plural == "services":
        _service_defaults(obj, ips)
        obj.setdefault("status", {}).setdefault("loadBalancer", {})
    elif plural == "namespaces":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    elif plural == "events":
        first = obj.get("firstTimestamp") or obj.get("lastTimestamp") or now_time()
        obj.setdefault("firstTimestamp", first)
        obj.setdefault("lastTimestamp", first)
        obj.setdefault("count", 1)
        obj.setdefault("type", "Normal")
        obj.setdefault("source", {})
    elif plural == "endpointslices":
        obj.setdefault("endpoints", [])
    elif plural == "nodes":
        obj.setdefault("spec", {})
        obj.setdefault("status", {})


def _sync_cordon_taint(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    taints = [t for t in spec.get("taints") or () if t.get("key") != CORDON_TAINT["key"]]
    if spec.get("unschedulable"):
        existing = next((t for t in spec.get("taints") or () if t.get("key") == CORDON_TAINT["key"]), None)
        taints.append(existing or {**CORDON_TAINT, "timeAdded": now_time()})
    else:
        spec.pop("unschedulable", None)
    if taints:
        spec["taints"] = taints
    else:
        spec.pop("taints", None)


def apply_defaults(rt: ResourceType, obj: dict[str, Any]) -> None:
    """The kind's defaulting, applied to every create and update as upstream's decoding does."""
    if rt.plural == "pods" and not rt.group and isinstance(obj.get("spec"), dict):
        pod_spec_defaults(obj["spec"])
    elif rt.plural in ("deployments", "replicasets") and isinstance((obj.get("spec") or {}).get("template"), dict):
        template_spec = obj["spec"]["template"].get("spec")
        if isinstance(template_spec, dict):
            pod_spec_defaults(template_spec)
    rules = kinds.rules_of(rt.key)
    if rules is not None and rules.defaults is not None:
        rules.defaults(obj)


def finish_write(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Normalise after every write (in place): required/omitted status fields, lists clients need."""
    rules = kinds.rules_of(rt.key)
    if rules is not None and rules.normalise is not None:
        rules.normalise(obj)
    meta = obj["metadata"]
    for field in ("labels", "annotations", "finalizers"):  # empty = absent, as upstream's omitempty
        if field in meta and not meta[field]:
            del meta[field]
    plural = rt.plural
    if plural == "pods":
        # Always lists (clients iterate them without a None check): chaosk8s' drain loops over
        # ownerReferences, so an unowned pod fails the drain with its "unmanaged" error, not a TypeError.
        obj["metadata"].setdefault("ownerReferences", [])
        obj.setdefault("spec", {}).setdefault("volumes", [])
        status = obj.setdefault("status", {})
        if not isinstance(status.get("conditions"), list):
            status["conditions"] = []
    elif plural == "nodes":
        _sync_cordon_taint(obj)
    if plural in _OMIT_ZERO or plural in _REQUIRED_STATUS:
        obj.setdefault("spec", {})
        status = obj.setdefault("status", {})
        for field in _OMIT_ZERO.get(plural, ()):
            if field in status and status[field] in (0, [], {}, None, "") and status[field] is not False:
                del status[field]
        for field in _REQUIRED_STATUS.get(plural, ()):
            status.setdefault(field, 0)
