"""apps/v1 Deployment: replicas, revision history, progress deadline and a 25%/25% rolling update defaulted on
create; the workload rules (workloads.py); upstream's omitempty status fields."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import IPAllocator, Kind
from .workloads import columns, template_defaults, validate_workload, workload_defaults, workload_row

__all__ = ["KIND"]


def _prepare(obj: dict[str, Any], ips: IPAllocator) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    rolling = {"maxUnavailable": "25%", "maxSurge": "25%"}
    spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": rolling})
    template_defaults(spec)


def _validate(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    validate_workload("Deployment", obj)


def _row(obj: dict[str, Any]) -> list[Any]:
    return workload_row(obj, True)


KIND = Kind(
    rt("apps", "v1", "deployments", "Deployment", short_names=("deploy",), subresources=("status", "scale"),
       categories=("all",), tracks_generation=True),
    defaults=workload_defaults,
    prepare=_prepare,
    validate=_validate,
    omit_empty_status=("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                       "unavailableReplicas", "terminatingReplicas", "collisionCount", "conditions"),
    columns=columns((("Ready", "string", 0), ("Up-to-date", "integer", 0), ("Available", "integer", 0))),
    row=_row,
    apply_order=3,
)
