"""events.k8s.io/v1 Event: a view of the stored core/v1 Events (one storage, as upstream), so an event written
through either API is readable through both. Its fields are named as that API spells them (regarding, note,
reportingController); a field selector on them selects on the core fields."""

from __future__ import annotations

from typing import Any

from ..objects import format_micro_time, parse_time
from ..resource_type import rt
from .base import Kind
from .events import COLUMNS, row

__all__ = ["KIND", "core_to_events_v1", "events_v1_to_core"]

_API_VERSION = "events.k8s.io/v1"
_REGARDING = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")


def _micro(value: str | None) -> str | None:
    if not value:
        return None
    if "." in value:
        return value
    return format_micro_time(parse_time(value))


def core_to_events_v1(ev: dict[str, Any]) -> dict[str, Any]:
    """A stored core/v1 Event as events.k8s.io/v1 (eventTime is never null)."""
    source = ev.get("source") or {}
    meta = ev.get("metadata", {})
    event_time = ev.get("eventTime") or _micro(
        ev.get("firstTimestamp") or ev.get("lastTimestamp") or meta.get("creationTimestamp")
    )
    out: dict[str, Any] = {"apiVersion": _API_VERSION, "kind": "Event", "metadata": meta, "eventTime": event_time}
    pairs = (
        ("series", ev.get("series")),
        ("reportingController", ev.get("reportingComponent")),
        ("reportingInstance", ev.get("reportingInstance")),
        ("action", ev.get("action")),
        ("reason", ev.get("reason")),
        ("regarding", ev.get("involvedObject")),
        ("related", ev.get("related")),
        ("note", ev.get("message")),
        ("type", ev.get("type")),
        ("deprecatedSource", source or None),
        ("deprecatedFirstTimestamp", ev.get("firstTimestamp")),
        ("deprecatedLastTimestamp", ev.get("lastTimestamp")),
        ("deprecatedCount", ev.get("count")),
    )
    out.update((k, v) for k, v in pairs if v not in (None, "", {}))
    return out


def events_v1_to_core(ev: dict[str, Any]) -> dict[str, Any]:
    """An events.k8s.io/v1 Event (as posted) in the core/v1 storage shape."""
    source = dict(ev.get("deprecatedSource") or {})
    if not source and ev.get("reportingController"):
        source["component"] = ev["reportingController"]
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": ev.get("metadata") or {},
        "involvedObject": ev.get("regarding") or {},
        "source": source,
    }
    pairs = (
        ("eventTime", ev.get("eventTime")),
        ("series", ev.get("series")),
        ("reportingComponent", ev.get("reportingController")),
        ("reportingInstance", ev.get("reportingInstance")),
        ("action", ev.get("action")),
        ("reason", ev.get("reason")),
        ("related", ev.get("related")),
        ("message", ev.get("note")),
        ("type", ev.get("type")),
        ("firstTimestamp", ev.get("deprecatedFirstTimestamp")),
        ("lastTimestamp", ev.get("deprecatedLastTimestamp")),
        ("count", ev.get("deprecatedCount")),
    )
    out.update((k, v) for k, v in pairs if v not in (None, ""))
    return out


KIND = Kind(
    rt("events.k8s.io", "v1", "events", "Event", short_names=("ev",), storage="v1/events"),
    columns=COLUMNS,
    row=row,
    field_selectors=(*(f"regarding.{f}" for f in _REGARDING), "reason", "reportingController", "type"),
    field_aliases={**{f"regarding.{f}": f"involvedObject.{f}" for f in _REGARDING},
                   "reportingController": "reportingComponent"},
    view=(core_to_events_v1, events_v1_to_core),
)
