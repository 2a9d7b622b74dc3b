"""policy/v1 PodDisruptionBudget: minAvailable and maxUnavailable are exclusive; the counters clients read are
always present (0 by default), the rest of the status omitempty."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import Kind, invalid
from .printing import AGE, age

__all__ = ["KIND"]


def _validate(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.get("spec") or {}
    if "minAvailable" in spec and "maxUnavailable" in spec:
        raise invalid("PodDisruptionBudget", obj, "spec", "minAvailable and maxUnavailable cannot be both set",
                      "policy")


def _row(pdb: dict[str, Any]) -> list[Any]:
    spec = pdb.get("spec", {})
    return [
        pdb["metadata"]["name"],
        str(spec["minAvailable"]) if "minAvailable" in spec else "N/A",
        str(spec["maxUnavailable"]) if "maxUnavailable" in spec else "N/A",
        pdb.get("status", {}).get("disruptionsAllowed", 0),
        age(pdb),
    ]


KIND = Kind(
    rt("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short_names=("pdb",), subresources=("status",),
       tracks_generation=True),
    validate=_validate,
    omit_empty_status=("observedGeneration", "disruptedPods", "conditions"),
    required_status=("disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"),
    columns=(("Name", "string", 0), ("Min Available", "string", 0), ("Max Unavailable", "string", 0),
             ("Allowed Disruptions", "integer", 0), AGE),
    row=_row,
    apply_order=2,
)
