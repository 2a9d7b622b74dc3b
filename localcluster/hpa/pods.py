"""What the replica calculator needs to know about pods and their metric samples.

All times are float epoch seconds; all amounts are integer milli-units (millicores, milli-bytes, milli of a
custom metric), as upstream works on `Quantity.MilliValue()`. `pod_from_json` turns a core/v1 Pod object (as
the API server stores it) into a `PodInfo`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localcluster.quantity import parse_milli

__all__ = ["ContainerSpec", "PodInfo", "PodSample", "parse_time", "pod_from_json"]

ZERO_TIME = 0.0  # stands for Go's zero time.Time (a pod condition without lastTransitionTime)


@dataclass(frozen=True)
class ContainerSpec:
    """One container and its resource requests in milli-units (`{"cpu": 500, "memory": 536870912000}`)."""

    name: str
    requests: Mapping[str, int] = field(default_factory=dict)
    restartable_init: bool = False  # an init container with restartPolicy Always (a sidecar): counted


@dataclass(frozen=True)
class PodInfo:
    """The pod fields upstream's `groupPods` and `calculateRequests` read."""

    name: str
    containers: tuple[ContainerSpec, ...] = ()
    phase: str = "Running"
    ready: str | None = "True"  # status of the Ready condition: "True", "False", "Unknown", None = absent
    ready_transition: float | None = None  # lastTransitionTime of the Ready condition (None = zero time)
    start_time: float | None = ZERO_TIME  # status.startTime (None = not set)
    deleted: bool = False  # metadata.deletionTimestamp is set
    pod_requests: Mapping[str, int] | None = None  # pod-level requests (spec.resources.requests), if any


@dataclass(frozen=True)
class PodSample:
    """One metric sample for one pod: the pod total, optionally per container, with its time window."""

    value: int
    timestamp: float = ZERO_TIME
    window: float = 60.0
    containers: Mapping[str, int] | None = None


def parse_time(value: str | None, field_name: str) -> float | None:
    """RFC 3339 timestamp (`2024-05-01T10:00:00Z`) to epoch seconds; None stays None."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (AttributeError, ValueError) as exc:
        raise ValueError(f"{field_name}: {value!r} is not an RFC 3339 time") from exc


def _requests(resources: Any, where: str) -> dict[str, int]:
    requests = (resources or {}).get("requests") or {}
    return {str(k): parse_milli(v, f"{where}.resources.requests.{k}") for k, v in requests.items()}


def _containers(spec: Mapping[str, Any], name: str) -> tuple[ContainerSpec, ...]:
    out = []
    for i, c in enumerate(spec.get("containers") or []):
        out.append(ContainerSpec(c.get("name", ""), _requests(c.get("resources"), f"pod {name} containers[{i}]")))
    for i, c in enumerate(spec.get("initContainers") or []):
        if c.get("restartPolicy") == "Always":
            where = f"pod {name} initContainers[{i}]"
            out.append(ContainerSpec(c.get("name", ""), _requests(c.get("resources"), where), True))
    return tuple(out)


def pod_from_json(pod: Mapping[str, Any]) -> PodInfo:
    """Build a `PodInfo` from a core/v1 Pod object in its JSON form."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    name = str(meta.get("name", ""))
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    pod_resources = spec.get("resources")
    return PodInfo(
        name=name,
        containers=_containers(spec, name),
        phase=str(status.get("phase") or "Pending"),
        ready=None if ready is None else str(ready.get("status")),
        ready_transition=None if ready is None else parse_time(
            ready.get("lastTransitionTime"), f"pod {name} status.conditions[Ready].lastTransitionTime"),
        start_time=parse_time(status.get("startTime"), f"pod {name} status.startTime"),
        deleted=meta.get("deletionTimestamp") is not None,
        pod_requests=_requests(pod_resources, f"pod {name} spec") if pod_resources else None,
    )
