"""apps/v1 ReplicaSet: replicas defaulted on create; the workload rules (workloads.py); `status.replicas` always
present (clients require it), the other status fields omitempty."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import IPAllocator, Kind
from .workloads import columns, template_defaults, validate_workload, workload_defaults, workload_row

__all__ = ["KIND"]


def _prepare(obj: dict[str, Any], ips: IPAllocator) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.pop("revisionHistoryLimit", None)  # a Deployment's field: not kept on a ReplicaSet
    template_defaults(spec)


def _validate(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    validate_workload("ReplicaSet", obj)


def _row(obj: dict[str, Any]) -> list[Any]:
    return workload_row(obj, False)


KIND = Kind(
    rt("apps", "v1", "replicasets", "ReplicaSet", short_names=("rs",), subresources=("status", "scale"),
       categories=("all",), tracks_generation=True),
    defaults=workload_defaults,
    prepare=_prepare,
    validate=_validate,
    omit_empty_status=("observedGeneration", "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                       "terminatingReplicas", "conditions"),
    required_status=("replicas",),
    columns=columns((("Desired", "integer", 0), ("Current", "integer", 0), ("Ready", "integer", 0))),
    row=_row,
    field_selectors=("status.replicas",),
)
