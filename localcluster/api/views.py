"""Representations of stored objects per served API: events.k8s.io/v1 Events are a view of core/v1 Events
and autoscaling/v1 HPAs a view of autoscaling/v2 ones (one storage each, as upstream), so an object written
through either API is readable through both."""

from __future__ import annotations

from typing import Any

from ..selectors import FieldRequirement, parse_field_selector
from . import kinds
from .objects import format_micro_time, parse_time
from .resources import ResourceType

__all__ = ["field_requirements", "from_view", "to_view"]

_EVENTS_V1 = "events.k8s.io/v1"


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
    out: dict[str, Any] = {"apiVersion": _EVENTS_V1, "kind": "Event", "metadata": meta, "eventTime": event_time}
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


def field_requirements(rt: ResourceType, text: str | None) -> list[FieldRequirement]:
    """Parse a field selector as the API `rt` spells fields, in storage field names (ValueError if bad)."""
    if not (rt.api_version == _EVENTS_V1 and rt.plural == "events"):
        return parse_field_selector(text, rt.plural)
    out = []
    for req in parse_field_selector(text, "events.events.k8s.io"):
        field = req.field.replace("regarding.", "involvedObject.", 1)
        field = "reportingComponent" if field == "reportingController" else field
        out.append(FieldRequirement(field, req.value, req.negate))
    return out


def to_view(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The object as the API `rt` presents it (identity unless `rt` is a view)."""
    if not rt.storage:
        return obj
    if rt.api_version == _EVENTS_V1 and rt.plural == "events":
        return core_to_events_v1(obj)
    view = kinds.VIEWS.get(rt.key)
    return view[0](obj) if view else obj


def from_view(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """A request body of API `rt` in storage shape."""
    if not rt.storage:
        return obj
    if rt.api_version == _EVENTS_V1 and rt.plural == "events":
        return events_v1_to_core(obj)
    view = kinds.VIEWS.get(rt.key)
    return view[1](obj) if view else obj
