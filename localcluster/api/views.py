"""Representations of stored objects per served API: a kind that is a view of another (ResourceType.storage;
events.k8s.io/v1 Events of core/v1 ones, autoscaling/v1 HPAs of autoscaling/v2 ones: one storage each, as
upstream) converts with its module's `view`, so an object written through either API is readable through both."""

from __future__ import annotations

from typing import Any

from ..selectors import FieldRequirement
from . import kinds
from .resources import ResourceType

__all__ = ["field_requirements", "from_view", "to_view"]


def field_requirements(rt: ResourceType, text: str | None) -> list[FieldRequirement]:
    """Parse a field selector as the API `rt` spells fields, in storage field names (ValueError if bad)."""
    return kinds.of(rt).parse_fields(text)


def to_view(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The object as the API `rt` presents it (identity unless `rt` is a view)."""
    view = kinds.of(rt).view
    return view[0](obj) if rt.storage and view else obj


def from_view(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """A request body of API `rt` in storage shape."""
    view = kinds.of(rt).view
    return view[1](obj) if rt.storage and view else obj
