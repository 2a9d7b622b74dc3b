"""The OpenAPI documents, built once from the served resources (resources.RESOURCES) and the definitions:

- v2: one Swagger 2.0 document (/openapi/v2), every path, every definition the paths reach;
- v3: a discovery document (/openapi/v3) listing one OpenAPI 3.0 document per group-version
  (`api/v1`, `apis/apps/v1`, ...), each with its paths and the schemas they reach, under a content hash
  (`serverRelativeURL: /openapi/v3/apis/apps/v1?hash=...`), as kube-apiserver publishes them.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from ..discovery import KUBERNETES_VERSION
from ..resources import RESOURCES
from .definitions import closure, definitions
from .paths import Operation, PathSpec, describe_param, gvk_extension, operation_id, patch_media_types, resource_paths

__all__ = ["v2_document", "v3_discovery", "v3_document"]

_V3_REF = "#/components/schemas/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_ALWAYS = [_META + "Status", _META + "DeleteOptions", _META + "Patch", _META + "WatchEvent",
           _META + "APIResourceList"]


@functools.cache
def _all_paths() -> tuple[PathSpec, ...]:
    out: list[PathSpec] = []
    for rt in RESOURCES:
        out.extend(resource_paths(rt))
    return tuple(out)


def _referenced(paths: list[PathSpec]) -> list[str]:
    names = set(_ALWAYS)
    for spec in paths:
        for op in spec.operations:
            names.update(n for n in (op.body, op.response) if n)
    return closure(sorted(names))


def _info() -> dict[str, Any]:
    major, minor = KUBERNETES_VERSION
    return {"title": "Kubernetes", "version": f"v{major}.{minor}.0"}


# ------------------------------------------------------------------------------------------------ v2
def _v2_operation(op: Operation, path: str) -> dict[str, Any]:
    params: list[dict[str, Any]] = [{"name": q, "in": "query", "type": "string", "uniqueItems": True,
                                     "description": describe_param(q)} for q in op.query]
    if op.body:
        params.insert(0, {"name": "body", "in": "body", "required": True,
                          "schema": {"$ref": f"#/definitions/{op.body}"}})
    responses: dict[str, Any] = {"401": {"description": "Unauthorized"}}
    ok: dict[str, Any] = {"description": "OK"}
    if op.response:
        ok["schema"] = {"$ref": f"#/definitions/{op.response}"}
    responses["201" if op.method == "post" else "200"] = ok
    doc: dict[str, Any] = {
        "description": op.description, "operationId": operation_id(op, path), "parameters": params,
        "consumes": list(patch_media_types()) if op.method == "patch" else ["*/*"],
        "produces": ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
        "schemes": ["https"], "responses": responses,
        "x-kubernetes-action": op.action, "x-kubernetes-group-version-kind": gvk_extension(op),
    }
    return doc


@functools.cache
def v2_document() -> bytes:
    """The Swagger 2.0 document (JSON bytes)."""
    paths = list(_all_paths())
    defs = definitions()
    doc_paths: dict[str, Any] = {}
    for spec in paths:
        item: dict[str, Any] = {op.method: _v2_operation(op, spec.path) for op in spec.operations}
        item["parameters"] = [{"name": p, "in": "path", "required": True, "type": "string",
                               "uniqueItems": True, "description": f"{p} of the resource"} for p in spec.params]
        doc_paths[spec.path] = item
    doc = {"swagger": "2.0", "info": _info(), "paths": doc_paths,
           "definitions": {name: defs[name] for name in _referenced(paths)}}
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


# ------------------------------------------------------------------------------------------------ v3
def _to_v3(node: Any) -> Any:
    """A v2 schema in OpenAPI 3 form: component refs, and a `$ref` with siblings wrapped in allOf."""
    if isinstance(node, list):
        return [_to_v3(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_v3(v) for k, v in node.items() if k != "$ref"}
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _V3_REF + ref.rsplit("/", 1)[-1]
        if out:
            out["allOf"] = [{"$ref": target}]
            if "description" in out:
                out.setdefault("default", {})
        else:
            out["$ref"] = target
    return out


def _v3_operation(op: Operation, path: str) -> dict[str, Any]:
    params = [{"name": q, "in": "query", "description": describe_param(q),
               "schema": {"type": "string", "uniqueItems": True}} for q in op.query]
    doc: dict[str, Any] = {"description": op.description, "operationId": operation_id(op, path),
                           "parameters": params, "x-kubernetes-action": op.action,
                           "x-kubernetes-group-version-kind": gvk_extension(op)}
    if op.body:
        ref = {"schema": {"$ref": _V3_REF + op.body}}
        types = patch_media_types() if op.method == "patch" else ("*/*",)
        doc["requestBody"] = {"content": {t: ref for t in types}, "required": True}
    ok: dict[str, Any] = {"description": "OK"}
    if op.response:
        schema = {"$ref": _V3_REF + op.response}
        ok["content"] = {t: {"schema": schema} for t in ("application/json", "application/yaml",
                                                          "application/vnd.kubernetes.protobuf")}
    doc["responses"] = {"201" if op.method == "post" else "200": ok, "401": {"description": "Unauthorized"}}
    return doc


@functools.cache
def _v3_documents() -> dict[str, bytes]:
    by_gv: dict[str, list[PathSpec]] = {}
    for spec in _all_paths():
        by_gv.setdefault(spec.group_version, []).append(spec)
    defs = definitions()
    out = {}
    for gv, specs in by_gv.items():
        doc_paths: dict[str, Any] = {}
        for spec in specs:
            item: dict[str, Any] = {op.method: _v3_operation(op, spec.path) for op in spec.operations}
            item["parameters"] = [{"name": p, "in": "path", "required": True, "description": f"{p} of the resource",
                                   "schema": {"type": "string", "uniqueItems": True}} for p in spec.params]
            doc_paths[spec.path] = item
        schemas = {name: _to_v3(defs[name]) for name in _referenced(specs)}
        doc = {"openapi": "3.0.0", "info": _info(), "paths": doc_paths, "components": {"schemas": schemas}}
        out[gv] = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return out


def _hash(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest().upper()


def v3_document(group_version: str) -> bytes | None:
    """The OpenAPI 3 document of one group-version ('api/v1', 'apis/apps/v1'), or None."""
    return _v3_documents().get(group_version)


@functools.cache
def v3_discovery() -> bytes:
    """/openapi/v3: where each group-version's document lives, with its hash."""
    paths = {gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={_hash(data)}"}
             for gv, data in sorted(_v3_documents().items())}
    return json.dumps({"paths": paths}, separators=(",", ":")).encode()
