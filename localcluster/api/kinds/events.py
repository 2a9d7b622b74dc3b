"""core/v1 Event: first/last timestamps, count, type and source defaulted on create; the printer and the
selectable fields of upstream (`source` selects on source.component)."""

from __future__ import annotations

import time
from typing import Any

from ...selectors import path_field
from ..objects import now_time, parse_time
from ..resource_type import rt
from .base import IPAllocator, Kind
from .printing import human_duration

__all__ = ["COLUMNS", "KIND", "row"]


def _prepare(obj: dict[str, Any], ips: IPAllocator) -> None:
    first = obj.get("firstTimestamp") or obj.get("lastTimestamp") or now_time()
    obj.setdefault("firstTimestamp", first)
    obj.setdefault("lastTimestamp", first)
    obj.setdefault("count", 1)
    obj.setdefault("type", "Normal")
    obj.setdefault("source", {})


def row(ev: dict[str, Any]) -> list[Any]:
    """One event's cells, in core/v1 or events.k8s.io/v1 shape."""
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


COLUMNS = (("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0), ("Object", "string", 0),
           ("Message", "string", 0))

KIND = Kind(
    rt("", "v1", "events", "Event", short_names=("ev",)),
    prepare=_prepare,
    columns=COLUMNS,
    row=row,
    field_selectors=("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                     "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                     "reason", "reportingComponent", "source", "type"),
    field_getters={"source": path_field("source.component")},
)
