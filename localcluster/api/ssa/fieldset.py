"""Field sets: which fields of an object a manager owns, as structured-merge-diff counts them.

A path is a tuple of elements ("f", field) | ("k", '{"name":"web"}') | ("v", '"x"') | ("i", 0). A struct
contributes its fields; a granular map itself and each key; a list of type map each item (keyed by its
list-map keys) and the item's fields; a set each value; an atomic value or a scalar one leaf. The identity
and bookkeeping fields (apiVersion, kind, name, namespace, uid, resourceVersion, generation,
creationTimestamp, managedFields) are never owned, and `status` belongs to the status subresource."""

from __future__ import annotations

import json
from typing import Any

from . import schema as sch

__all__ = ["MISSING", "Path", "decode", "encode", "fields_of", "path_string", "remove", "value_at"]

Path = tuple[tuple[str, Any], ...]
MISSING = object()
_IDENTITY = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
             "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"}


def _key_of(item: dict[str, Any], keys: list[str]) -> str:
    return json.dumps({k: item.get(k) for k in keys if k in item}, sort_keys=True, separators=(",", ":"))


def _walk(value: Any, schema: sch.Schema, path: Path, out: set[Path]) -> None:
    kind = sch.kind_of(value, schema)
    if kind == sch.STRUCT and isinstance(value, dict):
        if not value and path:
            out.add(path)
        for key, child in value.items():
            if child is not None:
                _walk(child, sch.child(schema, key), (*path, ("f", key)), out)
    elif kind == sch.MAP and isinstance(value, dict):
        out.add(path)
        for key, child in value.items():
            _walk(child, sch.child(schema, key), (*path, ("f", key)), out)
    elif kind == sch.LIST_MAP and isinstance(value, list):
        keys = sch.list_keys(schema)
        for item in value:
            if isinstance(item, dict) and keys:
                element = (*path, ("k", _key_of(item, keys)))
                out.add(element)
                _walk(item, sch.items(schema), element, out)
            else:
                out.add(path)
    elif kind == sch.SET and isinstance(value, list) and value:
        out.update((*path, ("v", json.dumps(v))) for v in value)
    else:
        out.add(path)


def fields_of(obj: dict[str, Any], schema: sch.Schema, subresource: str | None = None) -> set[Path]:
    """The field set of `obj` (the main resource's fields, or only `status` for the status subresource)."""
    out: set[Path] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind") or value is None:
            continue
        if (key == "status") != (subresource == "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            meta = {k: v for k, v in value.items() if k not in _IDENTITY}
            if meta:
                _walk(meta, sch.child(schema, "metadata"), (("f", "metadata"),), out)
            continue
        _walk(value, sch.child(schema, key), (("f", key),), out)
    return out


def _token(element: tuple[str, Any]) -> str:
    return f"{element[0]}:{element[1]}"


def encode(fields: set[Path]) -> dict[str, Any]:
    """A field set as FieldsV1 (nested objects; "." marks a member that also has children)."""
    trie: dict[str, Any] = {}
    members: set[int] = set()
    for path in fields:
        node = trie
        for element in path:
            node = node.setdefault(_token(element), {})
        members.add(id(node))

    def out(node: dict[str, Any]) -> dict[str, Any]:
        doc = {k: out(v) for k, v in sorted(node.items())}
        if doc and id(node) in members:
            doc = {".": {}, **doc}
        return doc

    return out(trie)


def decode(fields_v1: Any, prefix: Path = ()) -> set[Path]:
    """FieldsV1 -> field set."""
    out: set[Path] = set()
    if not isinstance(fields_v1, dict):
        return out
    if not fields_v1 and prefix:
        out.add(prefix)
    for token, child in fields_v1.items():
        if token == ".":
            out.add(prefix)
            continue
        kind, _, rest = token.partition(":")
        element: tuple[str, Any] = (kind, int(rest) if kind == "i" else rest)
        out |= decode(child, (*prefix, element))
    return out


def path_string(path: Path) -> str:
    """Upstream's path text: .spec.template.spec.containers[name="web"].image, [=value], [0]."""
    parts = []
    for kind, value in path:
        if kind == "f":
            parts.append(f".{value}")
        elif kind == "k":
            pairs = json.loads(value)
            parts.append("[" + ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(pairs.items())) + "]")
        elif kind == "v":
            parts.append(f"[={value}]")
        else:
            parts.append(f"[{value}]")
    return "".join(parts)


def _step(node: Any, element: tuple[str, Any]) -> Any:
    kind, value = element
    if kind == "f":
        return node.get(value, MISSING) if isinstance(node, dict) else MISSING
    if not isinstance(node, list):
        return MISSING
    if kind == "k":
        wanted = json.loads(value)
        return next((i for i in node if isinstance(i, dict) and all(i.get(k) == v for k, v in wanted.items())),
                    MISSING)
    if kind == "v":
        item = json.loads(value)
        return item if item in node else MISSING
    return node[value] if 0 <= value < len(node) else MISSING


def value_at(obj: Any, path: Path) -> Any:
    """The value at `path` in `obj`, or MISSING."""
    node = obj
    for element in path:
        node = _step(node, element)
        if node is MISSING:
            return MISSING
    return node


def remove(obj: Any, path: Path) -> None:
    """Delete the field, map key, list item or set value at `path` (in place; absent paths are ignored)."""
    if not path:
        return
    parent = value_at(obj, path[:-1])
    kind, value = path[-1]
    if kind == "f" and isinstance(parent, dict):
        parent.pop(value, None)
    elif isinstance(parent, list):
        target = _step(parent, path[-1])
        if target is not MISSING:
            parent.remove(target)
