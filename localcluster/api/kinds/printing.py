"""What kind modules print with (server-side tables): the AGE column as upstream's duration.HumanDuration, and a
column's definition as a `meta.k8s.io/v1 Table` declares it."""

from __future__ import annotations

import time
from typing import Any

from ..objects import parse_time

__all__ = ["AGE", "age", "column_definitions", "human_duration"]

AGE = ("Age", "string", 0)


def human_duration(seconds: float) -> str:
    """Upstream's duration.HumanDuration (what the AGE column shows)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years = hours // (24 * 365)
        return f"{years}y{(hours // 24) % 365}d"
    return f"{hours // (24 * 365)}y"


def age(obj: dict[str, Any]) -> str:
    """The AGE column of an object."""
    created = obj.get("metadata", {}).get("creationTimestamp")
    return human_duration(time.time() - parse_time(created)) if created else "<unknown>"


def column_definitions(columns: tuple[tuple[str, str, int], ...]) -> list[dict[str, Any]]:
    """(name, type, priority) columns as a Table's columnDefinitions."""
    return [
        {"name": n, "type": t, "format": "name" if n == "Name" else "", "description": n, "priority": p}
        for n, t, p in columns
    ]
