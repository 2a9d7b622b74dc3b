"""Server-side printing: `meta.k8s.io/v1 Table` responses for `kubectl get` (Accept: ...;as=Table).

Each kind's module declares its columns and row (upstream's printers; priority 1 columns appear with `-o wide`);
a kind that declares none gets Name / Created At.
"""

from __future__ import annotations

from typing import Any

from . import kinds
from .kinds.printing import column_definitions
from .resources import ResourceType

__all__ = ["table", "wants_table"]

_DEFAULT_COLUMNS = (("Name", "string", 0), ("Created At", "date", 0))


def wants_table(accept: str) -> bool:
    return "as=Table" in accept.replace(" ", "")


def _default(obj: dict[str, Any]) -> list[Any]:
    return [obj["metadata"]["name"], obj["metadata"].get("creationTimestamp", "")]


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
    kind = kinds.of(rt)
    columns, printer = (kind.columns, kind.row) if kind.row is not None else (_DEFAULT_COLUMNS, _default)
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
        "columnDefinitions": column_definitions(columns),
        "rows": rows,
    }
