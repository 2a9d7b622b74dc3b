"""core/v1 ConfigMap: string data and base64 binaryData under valid keys; `immutable` freezes both."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import Kind, check_data_keys, check_immutable, invalid
from .printing import age

__all__ = ["KIND"]


def _validate(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    check_data_keys("ConfigMap", obj, "data", obj.get("data"), binary=False)
    check_data_keys("ConfigMap", obj, "binaryData", obj.get("binaryData"), binary=True)
    both = set(obj.get("data") or {}) & set(obj.get("binaryData") or {})
    if both:
        raise invalid("ConfigMap", obj, "data", f"Invalid value: {sorted(both)[0]!r}: duplicate of key present "
                      "in binaryData")
    check_immutable("ConfigMap", obj, old, ("data", "binaryData"))


def _row(obj: dict[str, Any]) -> list[Any]:
    return [obj["metadata"]["name"], len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), age(obj)]


KIND = Kind(
    rt("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    validate=_validate,
    columns=(("Name", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)),
    row=_row,
)
