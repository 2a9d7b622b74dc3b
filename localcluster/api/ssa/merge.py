"""The apply merge: an applied configuration merged into the live object by the kind's schema (structs and
granular maps field by field, list maps item by item on their keys, sets by value, atomic values replaced),
fields the applier owned before and no longer applies removed (unless another manager owns them), and the
conflicts: applied fields whose value would change while another manager owns them."""

from __future__ import annotations

from typing import Any

from ..objects import clone
from . import schema as sch
from .fieldset import MISSING, Path, remove, value_at

__all__ = ["conflicts", "merge"]


def _merge(live: Any, config: Any, schema: sch.Schema) -> Any:
    kind = sch.kind_of(config, schema)
    if kind in (sch.STRUCT, sch.MAP) and isinstance(config, dict):
        out = dict(live) if isinstance(live, dict) else {}
        for key, value in config.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = _merge(out.get(key), value, sch.child(schema, key))
        return out
    if kind == sch.LIST_MAP and isinstance(config, list) and isinstance(live, list):
        keys = sch.list_keys(schema)
        items = [clone(i) for i in live]
        for item in config:
            match = next((n for n, old in enumerate(items) if isinstance(old, dict) and isinstance(item, dict)
                          and all(old.get(k) == item.get(k) for k in keys)), None)
            if match is None:
                items.append(clone(item))
            else:
                items[match] = _merge(items[match], item, sch.items(schema))
        return items
    if kind == sch.SET and isinstance(config, list) and isinstance(live, list):
        return [*live, *(v for v in config if v not in live)]
    return clone(config)


def merge(live: dict[str, Any], config: dict[str, Any], schema: sch.Schema, drop: set[Path]) -> dict[str, Any]:
    """`config` applied onto `live`; the fields in `drop` (owned before by this applier alone and no longer
    applied) are removed, deepest first."""
    out = _merge(clone(live), config, schema)
    for path in sorted(drop, key=len, reverse=True):
        remove(out, path)
    return out


def conflicts(live: dict[str, Any], config: dict[str, Any], applied: set[Path],
              owners: dict[str, set[Path]]) -> list[tuple[str, Path]]:
    """(manager, path) for every applied leaf whose value differs from the live one and that another manager
    owns. `owners` maps each other manager's identity to its field set."""
    found = []
    containers = _containers(applied)
    for path in sorted(applied, key=lambda p: [str(e) for e in p]):
        want, have = value_at(config, path), value_at(live, path)
        if have is MISSING or want == have or (isinstance(want, dict | list) and path in containers):
            continue
        for manager, fields in owners.items():
            if path in fields:
                found.append((manager, path))
    return found


def _containers(applied: set[Path]) -> set[Path]:
    """Paths that are members only as containers of other applied paths (list items, maps)."""
    return {p[:n] for p in applied for n in range(1, len(p))}
