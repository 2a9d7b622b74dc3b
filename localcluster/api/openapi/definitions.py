"""The definitions the local cluster validates with and publishes as OpenAPI.

Kubernetes' own 1.32 OpenAPI definitions come from the `kubernetes-validate` package, which ships them as
JSON schema (nullable types, `$defs` references). They are read once, lazily, and normalised back to the
OpenAPI v2 shape (`type: string`, `#/definitions/<name>` references, `format: int-or-string`), the shape
upstream's /openapi/v2 serves. metrics.k8s.io is an aggregated API upstream (metrics-server), so its few
definitions are written here.

    defs = definitions()                    # name -> OpenAPI v2 schema (shared: do not mutate)
    definition_for("apps", "v1", "Deployment")   # 'io.k8s.api.apps.v1.Deployment'
"""

from __future__ import annotations

import functools
import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

__all__ = ["KUBERNETES_SCHEMA", "closure", "definition_for", "definitions", "ref_name"]

KUBERNETES_SCHEMA = "v1.32.0-local"  # the kubernetes-validate schema set matching the served version
_REF_IN, _REF_OUT = "#/$defs/", "#/definitions/"
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_lock = threading.Lock()


def _schema_file() -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")  # located, not imported (its import is slow)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the Python package kubernetes-validate (Kubernetes' OpenAPI definitions) is not "
                           "installed: run `make install` (or pip install 'kubernetes-validate>=1.37,<2')")
    base = Path(next(iter(spec.submodule_search_locations)))
    path = base / "kubernetes-json-schema" / KUBERNETES_SCHEMA / "_definitions.json"
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: reinstall kubernetes-validate (>=1.37 ships {KUBERNETES_SCHEMA})")
    return path


def _normalise(node: Any) -> Any:
    """JSON schema (as kubernetes-validate writes it) -> OpenAPI v2 schema."""
    if isinstance(node, list):
        return [_normalise(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = _REF_OUT + value[len(_REF_IN):] if value.startswith(_REF_IN) else value
        elif key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            if kinds:
                out[key] = kinds[0]
        elif key == "properties":
            out[key] = {name: _normalise(prop) for name, prop in value.items()}
        else:
            out[key] = _normalise(value)
    return out


def _scalar(description: str, fmt: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {"description": description, "type": "string"}
    if fmt:
        doc["format"] = fmt
    return doc


def _metrics_definitions() -> dict[str, Any]:
    """metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, as metrics-server publishes them."""
    prefix = "io.k8s.metrics.pkg.apis.metrics.v1beta1."
    usage = {"description": "The memory and CPU usage.", "type": "object",
             "additionalProperties": {"$ref": _REF_OUT + _QUANTITY}}
    meta = {"$ref": _REF_OUT + _META + "ObjectMeta", "description": "Standard object's metadata."}
    common = {"apiVersion": {"type": "string", "description": "APIVersion of this representation."},
              "kind": {"type": "string", "description": "Kind of this object."}, "metadata": meta,
              "timestamp": {"$ref": _REF_OUT + _META + "Time",
                            "description": "The end of the window the usage was measured over."},
              "window": {"type": "string", "description": "The length of the measurement window (a duration)."}}
    container = {"description": "ContainerMetrics sets resource usage metrics of a container.", "type": "object",
                 "required": ["name", "usage"],
                 "properties": {"name": {"type": "string", "description": "Container name."}, "usage": usage}}
    defs: dict[str, Any] = {
        prefix + "ContainerMetrics": container,
        prefix + "NodeMetrics": {"description": "NodeMetrics sets resource usage metrics of a node.",
                                 "type": "object", "required": ["timestamp", "window", "usage"],
                                 "properties": {**common, "usage": usage}},
        prefix + "PodMetrics": {"description": "PodMetrics sets resource usage metrics of a pod.",
                                "type": "object", "required": ["timestamp", "window", "containers"],
                                "properties": {**common, "containers": {
                                    "type": "array", "description": "Metrics for all containers of the pod.",
                                    "items": {"$ref": _REF_OUT + prefix + "ContainerMetrics"}}}},
    }
    for kind in ("NodeMetrics", "PodMetrics"):
        defs[prefix + kind]["x-kubernetes-group-version-kind"] = [
            {"group": "metrics.k8s.io", "version": "v1beta1", "kind": kind}]
        defs[prefix + kind + "List"] = {
            "description": f"{kind}List is a list of {kind}.", "type": "object", "required": ["items"],
            "properties": {"apiVersion": common["apiVersion"], "kind": common["kind"],
                           "metadata": {"$ref": _REF_OUT + _META + "ListMeta"},
                           "items": {"type": "array", "items": {"$ref": _REF_OUT + prefix + kind}}},
            "x-kubernetes-group-version-kind": [{"group": "metrics.k8s.io", "version": "v1beta1",
                                                 "kind": kind + "List"}]}
    return defs


@functools.cache
def definitions() -> dict[str, Any]:
    """Every definition by name, OpenAPI v2 shaped (cached; shared, never mutate)."""
    with _lock:
        raw = json.loads(_schema_file().read_text())["$defs"]
        defs = {name: _normalise(schema) for name, schema in raw.items()}
        defs[_INT_OR_STRING] = _scalar(
            "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling "
            "and unmarshalling, it produces or consumes the inner type.", "int-or-string")
        defs[_QUANTITY] = _scalar(
            "Quantity is a fixed-point representation of a number (for example 500m, 2Gi, 1.5).")
        defs.update(_metrics_definitions())
        return defs


@functools.cache
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            index.setdefault((gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", "")), name)
    return index


def definition_for(group: str, version: str, kind: str) -> str | None:
    """The definition name of a group/version/kind, or None when upstream has none."""
    return _gvk_index().get((group, version, kind))


def ref_name(schema: dict[str, Any]) -> str | None:
    """The definition a `$ref` schema points to (None when it is not a reference)."""
    ref = schema.get("$ref")
    return ref[len(_REF_OUT):] if isinstance(ref, str) and ref.startswith(_REF_OUT) else None


def closure(names: list[str]) -> list[str]:
    """`names` and every definition they reference, transitively (sorted)."""
    defs, seen, todo = definitions(), set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        todo.extend(_refs(defs[name]))
    return sorted(seen)


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        target = ref_name(node)
        if target:
            found.append(target)
        for value in node.values():
            found.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_refs(value))
    return found
