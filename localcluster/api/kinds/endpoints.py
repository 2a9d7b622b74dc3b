"""core/v1 Endpoints: written by the endpoints controller (controllers/endpoints.py), printed as upstream does
(the first three addresses, then a count)."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import Kind
from .printing import AGE, age

__all__ = ["KIND"]


def _row(ep: dict[str, Any]) -> list[Any]:
    pairs = []
    for subset in ep.get("subsets") or ():
        for addr in subset.get("addresses") or ():
            for port in subset.get("ports") or [{}]:
                pairs.append(f"{addr.get('ip')}:{port['port']}" if "port" in port else str(addr.get("ip")))
    shown = ",".join(pairs[:3]) + (f" + {len(pairs) - 3} more..." if len(pairs) > 3 else "")
    return [ep["metadata"]["name"], shown or "<none>", age(ep)]


KIND = Kind(
    rt("", "v1", "endpoints", "Endpoints", short_names=("ep",)),
    columns=(("Name", "string", 0), ("Endpoints", "string", 0), AGE),
    row=_row,
)
