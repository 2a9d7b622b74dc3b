"""The REST paths and operations of every served resource, as upstream's OpenAPI lists them: one path per
collection, object and subresource, operations by verb, each tagged with `x-kubernetes-action` and
`x-kubernetes-group-version-kind`, write operations with the dryRun / fieldManager / fieldValidation query
parameters (kubectl reads fieldValidation's presence to know the server validates fields itself)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..resource_type import ResourceType
from .definitions import definition_for

__all__ = ["Operation", "PathSpec", "resource_paths"]

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
                "application/strategic-merge-patch+json", "application/apply-patch+yaml")
_SUB_KIND = {"scale": ("autoscaling", "v1", "Scale"), "eviction": ("policy", "v1", "Eviction"),
             "binding": ("", "v1", "Binding")}
QUERY = {
    "dryRun": "When present, indicates that modifications should not be persisted. The only valid value is All.",
    "fieldManager": "a name associated with the actor or entity that is making these changes.",
    "fieldValidation": "instructs the server on how to handle objects in the request containing unknown or "
                       "duplicate fields: Ignore, Warn (the default) or Strict.",
    "force": "Force is going to \"force\" Apply requests: re-acquire conflicting fields owned by other people.",
    "labelSelector": "A selector to restrict the list of returned objects by their labels.",
    "fieldSelector": "A selector to restrict the list of returned objects by their fields.",
    "watch": "Watch for changes to the described resources and return them as a stream of add, update, and "
             "remove notifications.",
    "resourceVersion": "resourceVersion sets a constraint on what resource versions a request may be served from.",
    "gracePeriodSeconds": "The duration in seconds before the object should be deleted.",
    "propagationPolicy": "Whether and how garbage collection will be performed: Orphan, Background, Foreground.",
}


@dataclass
class Operation:
    method: str  # get | put | post | patch | delete
    action: str  # x-kubernetes-action: get, list, watch, create, put, patch, delete, deletecollection, connect
    gvk: tuple[str, str, str]
    body: str | None  # definition name of the request body (None: no body)
    response: str | None  # definition name of the 200/201 answer
    query: tuple[str, ...] = ()
    description: str = ""


@dataclass
class PathSpec:
    path: str
    group_version: str  # "api/v1" or "apis/apps/v1": which /openapi/v3 document holds the path
    params: tuple[str, ...]  # path parameters: namespace, name
    operations: list[Operation] = field(default_factory=list)


def _base(rt: ResourceType) -> tuple[str, str]:
    prefix = f"/api/{rt.version}" if not rt.group else f"/apis/{rt.group}/{rt.version}"
    return prefix, prefix.lstrip("/")


def _writes(verbs: tuple[str, ...]) -> tuple[str, ...]:
    return ("dryRun", "fieldManager", "fieldValidation")


def resource_paths(rt: ResourceType) -> list[PathSpec]:
    """Every path (collection, object, subresources) of one served resource."""
    definition = definition_for(rt.group, rt.version, rt.kind)
    list_def = definition_for(rt.group, rt.version, rt.list_kind)
    gvk = (rt.group, rt.version, rt.kind)
    prefix, gv = _base(rt)
    ns_part = "/namespaces/{namespace}" if rt.namespaced else ""
    params = ("namespace",) if rt.namespaced else ()
    verbs = rt.verbs
    collection = PathSpec(f"{prefix}{ns_part}/{rt.plural}", gv, params)
    if "list" in verbs:
        collection.operations.append(Operation("get", "list", gvk, None, list_def,
                                               ("labelSelector", "fieldSelector", "watch", "resourceVersion"),
                                               f"list or watch objects of kind {rt.kind}"))
    if "create" in verbs:
        collection.operations.append(Operation("post", "create", gvk, definition, definition,
                                               _writes(verbs), f"create a {rt.kind}"))
    if "deletecollection" in verbs:
        collection.operations.append(Operation("delete", "deletecollection", gvk, _META + "DeleteOptions",
                                               _META + "Status", ("dryRun", "labelSelector", "fieldSelector"),
                                               f"delete collection of {rt.kind}"))
    paths = [collection]
    if rt.namespaced and "list" in verbs:
        paths.append(PathSpec(f"{prefix}/{rt.plural}", gv, (), [Operation(
            "get", "list", gvk, None, list_def, ("labelSelector", "fieldSelector", "watch", "resourceVersion"),
            f"list or watch objects of kind {rt.kind} in all namespaces")]))
    if rt.virtual and "get" not in verbs:
        return paths
    item = PathSpec(f"{prefix}{ns_part}/{rt.plural}/{{name}}", gv, (*params, "name"))
    item.operations.append(Operation("get", "get", gvk, None, definition, (), f"read the specified {rt.kind}"))
    if "update" in verbs:
        item.operations.append(Operation("put", "put", gvk, definition, definition, _writes(verbs),
                                         f"replace the specified {rt.kind}"))
    if "patch" in verbs:
        item.operations.append(Operation("patch", "patch", gvk, _META + "Patch", definition,
                                         (*_writes(verbs), "force"), f"partially update the specified {rt.kind}"))
    if "delete" in verbs:
        item.operations.append(Operation("delete", "delete", gvk, _META + "DeleteOptions", _META + "Status",
                                         ("dryRun", "gracePeriodSeconds", "propagationPolicy"),
                                         f"delete a {rt.kind}"))
    paths.append(item)
    paths.extend(_subresource_paths(rt, item, definition))
    return paths


def _subresource_paths(rt: ResourceType, item: PathSpec, definition: str | None) -> list[PathSpec]:
    out = []
    for sub in rt.subresources:
        spec = PathSpec(f"{item.path}/{sub}", item.group_version, item.params)
        group, version, kind = _SUB_KIND.get(sub, (rt.group, rt.version, rt.kind))
        sub_def = definition_for(group, version, kind) or definition
        gvk = (group, version, kind)
        if sub in ("status", "scale"):
            spec.operations += [
                Operation("get", "get", gvk, None, sub_def, (), f"read {sub} of the specified {rt.kind}"),
                Operation("put", "put", gvk, sub_def, sub_def, ("dryRun", "fieldManager", "fieldValidation"),
                          f"replace {sub} of the specified {rt.kind}"),
                Operation("patch", "patch", gvk, _META + "Patch", sub_def,
                          ("dryRun", "fieldManager", "fieldValidation", "force"),
                          f"partially update {sub} of the specified {rt.kind}")]
        elif sub in ("eviction", "binding"):
            spec.operations.append(Operation("post", "create", gvk, sub_def, sub_def, ("dryRun",),
                                             f"create {sub} of a {rt.kind}"))
        elif sub == "log":
            spec.operations.append(Operation("get", "get", ("", "v1", "Pod"), None, None,
                                             ("container", "follow", "previous", "sinceSeconds", "tailLines",
                                              "timestamps"), "read log of the specified Pod"))
        out.append(spec)
    return out


def patch_media_types() -> tuple[str, ...]:
    return _PATCH_TYPES


def describe_param(name: str) -> str:
    return QUERY.get(name, name)


def operation_id(op: Operation, path: str) -> str:
    return f"{op.action}:{path}"


def gvk_extension(op: Operation) -> dict[str, Any]:
    group, version, kind = op.gvk
    return {"group": group, "version": version, "kind": kind}
