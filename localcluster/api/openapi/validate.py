"""Request bodies checked against the kind's definition, as upstream's decoding does:

- a value of the wrong JSON type is a 400 (`... cannot be handled as a Deployment: json: cannot unmarshal
  string into Go struct field DeploymentSpec.spec.replicas of type int32`);
- an unknown field is dropped (it has no place in the object), and reported by `fieldValidation`:
  `Strict` -> 400 `strict decoding error: unknown field "spec.foo"`, `Warn` (the default) -> a `Warning`
  response header per field, `Ignore` -> nothing.
Null is accepted anywhere (it means "unset")."""

from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from .definitions import definition_for, definitions, ref_name

__all__ = ["check_body"]

_JSON_TYPE = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object"}
_GO_TYPE = {"int32": "int32", "int64": "int64", "double": "float64", "byte": "[]uint8"}
_MODES = ("Ignore", "Warn", "Strict")


class _Walk:
    def __init__(self) -> None:
        self.unknown: list[str] = []
        self.type_error: str | None = None

    def node(self, schema: dict[str, Any], value: Any, path: str, owner: str) -> None:
        name = ref_name(schema)
        if name is not None:
            schema, owner = definitions()[name], name.rsplit(".", 1)[-1]
        if value is None or self.type_error:
            return
        fmt, kind = schema.get("format"), schema.get("type")
        if fmt == "int-or-string":
            if not (isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))):
                self._mismatch(value, path, owner, "intstr.IntOrString")
            return
        if kind == "object" or "properties" in schema or "additionalProperties" in schema:
            self._object(schema, value, path, owner)
        elif kind == "array":
            if not isinstance(value, list):
                self._mismatch(value, path, owner, "[]" + _go_of(schema.get("items") or {}))
                return
            for item in value:
                self.node(schema.get("items") or {}, item, path, owner)
        elif kind == "string" and not isinstance(value, str):
            quantity = owner == "Quantity" or "Quantity" in str(schema.get("description", ""))[:20]
            if not (quantity and isinstance(value, int | float) and not isinstance(value, bool)):
                self._mismatch(value, path, owner, "string")
        elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            self._mismatch(value, path, owner, _GO_TYPE.get(str(fmt), "int"))
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            self._mismatch(value, path, owner, "float64")
        elif kind == "boolean" and not isinstance(value, bool):
            self._mismatch(value, path, owner, "bool")

    def _object(self, schema: dict[str, Any], value: Any, path: str, owner: str) -> None:
        if not isinstance(value, dict):
            self._mismatch(value, path, owner, "map[string]interface {}" if "properties" not in schema else owner)
            return
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and extra is None:
            return  # free-form (RawExtension, FieldsV1)
        for key in list(value):
            child = f"{path}.{key}" if path else key
            if props is not None and key in props:
                self.node(props[key], value[key], child, owner)
            elif isinstance(extra, dict):
                self.node(extra, value[key], child, owner)
            elif props is not None:
                self.unknown.append(child)
                del value[key]

    def _mismatch(self, value: Any, path: str, owner: str, go_type: str) -> None:
        json_type = _JSON_TYPE.get(type(value), "value")
        self.type_error = (f"json: cannot unmarshal {json_type} into Go struct field {owner}.{path} "
                           f"of type {go_type}")


def _go_of(schema: dict[str, Any]) -> str:
    name = ref_name(schema)
    if name:
        return name.rsplit(".", 1)[-1]
    return _GO_TYPE.get(str(schema.get("format")), str(schema.get("type", "interface {}")))


def check_body(group: str, version: str, kind: str, body: dict[str, Any], mode: str | None) -> list[str]:
    """Check (and prune) a request body in place; returns the warnings to send. Raises BadRequest."""
    mode = mode or "Warn"
    if mode not in _MODES:
        raise BadRequest(f"fieldValidation: Unsupported value: {mode!r}: supported values: "
                         + ", ".join(f'"{m}"' for m in _MODES))
    name = definition_for(group, version, kind)
    if name is None:
        return []
    walk = _Walk()
    walk.node({"$ref": f"#/definitions/{name}"}, body, "", kind)
    if walk.type_error:
        raise BadRequest(f'{kind} in version "{version}" cannot be handled as a {kind}: {walk.type_error}')
    if not walk.unknown or mode == "Ignore":
        return []
    if mode == "Strict":
        raise BadRequest("strict decoding error: " + ", ".join(f'unknown field "{f}"' for f in walk.unknown))
    return [f'unknown field "{f}"' for f in walk.unknown]
