"""core/v1 Namespace: a DNS-label name, the `kubernetes` finalizer, an Active phase and the
`kubernetes.io/metadata.name` label on create (deletion is the namespace controller's, api/namespaces.py)."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import IPAllocator, Kind
from .printing import AGE, age

__all__ = ["KIND"]


def _prepare(obj: dict[str, Any], ips: IPAllocator) -> None:
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]


def _row(ns: dict[str, Any]) -> list[Any]:
    return [ns["metadata"]["name"], ns.get("status", {}).get("phase", ""), age(ns)]


KIND = Kind(
    rt("", "v1", "namespaces", "Namespace", False, short_names=("ns",), subresources=("status",)),
    name_rule="dns-label",
    prepare=_prepare,
    columns=(("Name", "string", 0), ("Status", "string", 0), AGE),
    row=_row,
    field_selectors=("status.phase",),
    apply_order=0,
)
