"""Walking an object alongside its OpenAPI definition: the child schema of a field, and how a schema
combines (struct, granular or atomic map, list of type map / set / atomic, scalar), as structured-merge-diff
reads the same definitions (`x-kubernetes-list-type`, `-list-map-keys`, `-map-type`, and for lists without a
list type the strategic-merge-patch merge key)."""

from __future__ import annotations

from typing import Any

from ..openapi.definitions import definition_for, definitions, ref_name

__all__ = ["ATOMIC", "LIST_MAP", "MAP", "SCALAR", "SET", "STRUCT", "child", "kind_of", "list_keys", "root", "shape"]

STRUCT, MAP, ATOMIC, LIST_MAP, SET, SCALAR = "struct", "map", "atomic", "list-map", "set", "scalar"
Schema = dict[str, Any]


def resolve(schema: Schema) -> Schema:
    """Follow `$ref` (and a single allOf) to the schema itself."""
    seen = 0
    while seen < 20:
        name = ref_name(schema)
        if name is None and isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            name = ref_name(schema["allOf"][0])
        if name is None:
            return schema
        schema = definitions().get(name, {})
        seen += 1
    return schema


def root(group: str, version: str, kind: str) -> Schema:
    name = definition_for(group, version, kind)
    return resolve({"$ref": f"#/definitions/{name}"}) if name else {}


def shape(schema: Schema) -> str:
    """How values of this schema merge."""
    schema = resolve(schema)
    kind = schema.get("type")
    if kind == "array":
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "map" or (list_type is None and schema.get("x-kubernetes-patch-merge-key")):
            return LIST_MAP
        return SET if list_type == "set" else ATOMIC
    if "properties" in schema:
        return ATOMIC if schema.get("x-kubernetes-map-type") == "atomic" else STRUCT
    if isinstance(schema.get("additionalProperties"), dict):
        return ATOMIC if schema.get("x-kubernetes-map-type") == "atomic" else MAP
    if kind == "object":
        return ATOMIC  # free-form (RawExtension)
    return SCALAR


def kind_of(value: Any, schema: Schema) -> str:
    """shape() corrected by the value (an unknown schema: dicts are structs, lists atomic)."""
    found = shape(schema)
    if found == SCALAR and isinstance(value, dict):
        return STRUCT
    if found == SCALAR and isinstance(value, list):
        return ATOMIC
    return found


def child(schema: Schema, key: str) -> Schema:
    """The schema of field/key `key` of a struct or map (empty when unknown)."""
    schema = resolve(schema)
    props = schema.get("properties")
    if isinstance(props, dict) and key in props:
        return props[key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else {}


def items(schema: Schema) -> Schema:
    return resolve(schema).get("items") or {}


def list_keys(schema: Schema) -> list[str]:
    schema = resolve(schema)
    keys = schema.get("x-kubernetes-list-map-keys")
    if keys:
        return list(keys)
    merge_key = schema.get("x-kubernetes-patch-merge-key")
    return [merge_key] if merge_key else []
