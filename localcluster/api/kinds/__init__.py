"""Every kind the API serves, one module per kind (as upstream has one strategy.go per kind). A module of this
package with a module-level `KIND` (a base.Kind) is a served kind: its resource type (names, scope, subresources,
verbs), its rules (defaults, validation, normalisation), its table columns and its selectable fields. Nothing
else lists kinds: `KINDS` is found here, and the API's routes, discovery, OpenAPI, strategy, tables, field
selectors and views, and the manifests the local cluster accepts, are all derived from it.

Order (discovery, OpenAPI, ambiguous short names: the first wins) is upstream's: API groups by the aggregator's
group priority (core first), versions by version priority (v2 before v1, GA before beta), then by resource name.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from typing import Any

from ..resource_type import ResourceType
from .base import Kind

__all__ = ["KINDS", "Kind", "for_object", "of"]

# kube-apiserver's group priorities (DefaultGenericAPIServicePriorities, higher first); metrics.k8s.io is an
# aggregated API (metrics-server's APIService asks for 100). A group not listed sorts after these, by name.
_GROUP_PRIORITY = {"": 18000, "apps": 17800, "events.k8s.io": 17750, "authentication.k8s.io": 17700,
                   "authorization.k8s.io": 17600, "autoscaling": 17500, "batch": 17400, "networking.k8s.io": 17200,
                   "policy": 17100, "rbac.authorization.k8s.io": 17000, "scheduling.k8s.io": 16600,
                   "coordination.k8s.io": 16500,
                   "discovery.k8s.io": 16200, "metrics.k8s.io": 100}
_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def _version_rank(version: str) -> tuple[int, int, int]:
    """Kubernetes' version priority: GA before beta before alpha, higher numbers first (as a sort key)."""
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0)
    stage = {None: 0, "beta": 1, "alpha": 2}[match.group(2)]
    return (stage, -int(match.group(1)), -int(match.group(3) or 0))


def _order(kind: Kind) -> tuple[int, str, tuple[int, int, int], str]:
    rt = kind.resource
    return (-_GROUP_PRIORITY.get(rt.group, 1000), rt.group, _version_rank(rt.version), rt.plural)


def _discover() -> tuple[Kind, ...]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        kind = getattr(importlib.import_module(f"{__name__}.{module.name}"), "KIND", None)
        if isinstance(kind, Kind):
            found.append(kind)
    return tuple(sorted(found, key=_order))


KINDS: tuple[Kind, ...] = _discover()
_BY_KEY = {kind.resource.key: kind for kind in KINDS}


def of(resource: ResourceType | str) -> Kind:
    """The kind served under a resource type (or its key, 'v1/pods')."""
    key = resource if isinstance(resource, str) else resource.key
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"no kind is served as {key!r}; served: {', '.join(_BY_KEY)}") from None


_STORED = {(k.resource.api_version, k.resource.kind): k for k in KINDS
           if not k.resource.storage and not k.resource.virtual}


def for_object(obj: Mapping[str, Any]) -> Kind:
    """The stored kind of an object by its apiVersion and kind (a manifest's document)."""
    key: tuple[Any, Any] = (obj.get("apiVersion"), obj.get("kind"))
    try:
        return _STORED[key]
    except KeyError:
        raise KeyError(f"apiVersion/kind {key[0]} {key[1]} is not a stored kind") from None
