"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and a strategic merge patch subset.

Strategic merge patch is applied as a merge patch, except that the well-known lists of the kinds served
here merge element-wise by their merge key (containers/volumes/env/... by `name`, container ports by
`containerPort`, service ports by `port`, volumeMounts by `mountPath`, conditions by `type`,
ownerReferences by `uid`), and the `$patch: delete|replace` and `$retainKeys` directives are honoured (kubectl
sends `$retainKeys` when a Deployment's strategy type changes). `$setElementOrder` and
`$deleteFromPrimitiveList` are accepted and ignored.
"""

from __future__ import annotations

from typing import Any

from .errors import BadRequest, Invalid, UnsupportedMediaType
from .objects import clone

__all__ = [
    "APPLY",
    "JSON_PATCH",
    "MERGE",
    "STRATEGIC",
    "apply_patch",
    "check_patch_type",
    "json_patch",
    "merge_patch",
    "strategic_patch",
]

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"

_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: maps merge recursively, null deletes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        first = next((i for i in items if isinstance(i, dict)), {})
        return "containerPort" if "containerPort" in first else "port"
    return _MERGE_KEYS.get(field)


def _strategic_list(field: str, target: Any, patch: list[Any]) -> list[Any]:
    key = _merge_key(field, patch)
    if key is None or not isinstance(target, list) or not all(isinstance(p, dict) for p in patch):
        return [clone(p) for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    if any(p.get("$patch") == "replace" for p in patch):
        return [clone(p) for p in patch if "$patch" not in p]
    result = [clone(t) for t in target]
    for item in patch:
        pos = next((i for i, t in enumerate(result) if isinstance(t, dict) and t.get(key) == item.get(key)), -1)
        if item.get("$patch") == "delete":
            if pos >= 0:
                result.pop(pos)
        elif pos >= 0:
            result[pos] = strategic_patch(result[pos], item)
        else:
            result.append(strategic_patch({}, item))
    return result


def strategic_patch(target: Any, patch: Any) -> Any:
    """Strategic merge patch for the lists and directives listed in the module docstring."""
    if not isinstance(patch, dict):
        return clone(patch)
    if patch.get("$patch") == "replace":
        return {k: clone(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _strategic_list(key, result.get(key), value)
        else:
            merged = strategic_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise BadRequest(f"json patch: path {path!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _container(doc: Any, parts: list[str], path: str) -> Any:
    cur = doc
    for part in parts[:-1]:
        try:
            cur = cur[int(part)] if isinstance(cur, list) else cur[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise Invalid(f"json patch: path {path!r} does not exist") from None
    return cur


def _index(container: list[Any], part: str, path: str, insert: bool) -> int:
    if part == "-" and insert:
        return len(container)
    try:
        idx = int(part)
    except ValueError:
        raise Invalid(f"json patch: {part!r} in {path!r} is not an array index") from None
    if idx < 0 or idx > len(container) - (0 if insert else 1):
        raise Invalid(f"json patch: index {idx} out of range in {path!r}")
    return idx


def _read(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    cont = _container(doc, parts, path)
    try:
        if isinstance(cont, list):
            return cont[_index(cont, parts[-1], path, False)]
        return cont[parts[-1]]
    except (KeyError, TypeError):
        raise Invalid(f"json patch: path {path!r} does not exist") from None


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    cont = _container(doc, parts, path)
    if isinstance(cont, list):
        return cont.pop(_index(cont, parts[-1], path, False))
    if not isinstance(cont, dict) or parts[-1] not in cont:
        raise Invalid(f"json patch: cannot remove {path!r}: it does not exist")
    return cont.pop(parts[-1])


def _add(doc: Any, path: str, value: Any, replace: bool) -> Any:
    parts = _pointer(path)
    if not parts:
        return clone(value)
    cont = _container(doc, parts, path)
    if isinstance(cont, list):
        idx = _index(cont, parts[-1], path, not replace)
        if replace:
            cont[idx] = clone(value)
        else:
            cont.insert(idx, clone(value))
    elif isinstance(cont, dict):
        if replace and parts[-1] not in cont:
            raise Invalid(f"json patch: cannot replace {path!r}: it does not exist")
        cont[parts[-1]] = clone(value)
    else:
        raise Invalid(f"json patch: parent of {path!r} is not an object or array")
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902 operations add/remove/replace/move/copy/test; a failing `test` raises Invalid (422)."""
    if not isinstance(ops, list):
        raise BadRequest("json patch body must be a JSON array of operations")
    doc = clone(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise BadRequest(f"json patch operation {op!r} needs 'op' and 'path'")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise BadRequest(f"json patch operation {kind} at {path!r} needs 'value'")
        if kind == "add":
            doc = _add(doc, path, op["value"], False)
        elif kind == "replace":
            doc = _add(doc, path, op["value"], True)
        elif kind == "remove":
            _remove(doc, path)
        elif kind in ("move", "copy"):
            value = _remove(doc, op["from"]) if kind == "move" else clone(_read(doc, op["from"]))
            doc = _add(doc, path, value, False)
        elif kind == "test":
            if _read(doc, path) != op["value"]:
                raise Invalid(f"json patch: test operation failed at {path!r}")
        else:
            raise BadRequest(f"json patch: unknown operation {kind!r}")
    return doc


def check_patch_type(content_type: str) -> None:
    """Raise UnsupportedMediaType (415) unless the PATCH content type is one this server applies."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype not in (JSON_PATCH, MERGE, STRATEGIC, "", "application/json"):
        raise UnsupportedMediaType(
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{JSON_PATCH}, {MERGE}, {STRATEGIC}, {APPLY}"
        )


def apply_patch(target: dict[str, Any], patch: Any, content_type: str) -> dict[str, Any]:
    """Apply a PATCH body of the given content type to a copy of `target`."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == JSON_PATCH:
        result = json_patch(target, patch)
    elif ctype == MERGE:
        if not isinstance(patch, dict):
            raise BadRequest("merge patch body must be a JSON object")
        result = merge_patch(target, patch)
    elif ctype in (STRATEGIC, "", "application/json"):
        if isinstance(patch, list):
            result = json_patch(target, patch)
        elif isinstance(patch, dict):
            result = strategic_patch(target, patch)
        else:
            raise BadRequest("strategic merge patch body must be a JSON object")
    else:
        check_patch_type(ctype)
        raise AssertionError("unreachable")
    if not isinstance(result, dict):
        raise Invalid("the patch would replace the whole object with a non-object")
    return result
