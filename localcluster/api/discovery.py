"""Discovery documents: /version, /api, /apis, /apis/<group>, /api/v1 and /apis/<group>/<version>.

kubectl 1.26+ first asks for aggregated discovery (apidiscovery.k8s.io/v2); answering plain
APIVersions / APIGroupList with `Content-Type: application/json` makes it fall back to the legacy
documents, which is what this server does.
"""

from __future__ import annotations

import platform
import sys
from typing import Any

from .resources import ResourceType, groups, resources_for

__all__ = ["KUBERNETES_VERSION", "api_group", "api_group_list", "api_resource_list", "api_versions", "version"]

KUBERNETES_VERSION = (1, 32)

_SUBRESOURCES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # subresource: (group, version, kind, verbs); '' group/version = the parent's
    "status": ("", "", "", ("get", "patch", "update")),
    "scale": ("autoscaling", "v1", "Scale", ("get", "patch", "update")),
    "log": ("", "", "Pod", ("get",)),
    "eviction": ("policy", "v1", "Eviction", ("create",)),
    "binding": ("", "", "Binding", ("create",)),
    "exec": ("", "", "PodExecOptions", ("create", "get")),
    "attach": ("", "", "PodAttachOptions", ("create", "get")),
    "portforward": ("", "", "PodPortForwardOptions", ("create", "get")),
}


def version() -> dict[str, Any]:
    major, minor = KUBERNETES_VERSION
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return {
        "major": str(major),
        "minor": str(minor),
        "gitVersion": f"v{major}.{minor}.0-agentflow-local",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": f"python{sys.version_info.major}.{sys.version_info.minor}",
        "compiler": "cpython",
        "platform": f"{platform.system().lower()}/{machine}",
    }


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_doc(group: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{g}/{v}", "version": v} for g, v in groups() if g == group]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list() -> dict[str, Any]:
    names = list(dict.fromkeys(g for g, _ in groups() if g))
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group_doc(g) for g in names]}


def api_group(group: str) -> dict[str, Any] | None:
    if not any(g == group for g, _ in groups()):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group)}


def _resource_doc(rt: ResourceType) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        doc["shortNames"] = list(rt.short_names)
    if rt.categories:
        doc["categories"] = list(rt.categories)
    return doc


def api_resource_list(group: str, version_: str) -> dict[str, Any] | None:
    rts = resources_for(group, version_)
    if not rts:
        return None
    resources = []
    for rt in rts:
        resources.append(_resource_doc(rt))
        for sub in rt.subresources:
            sub_group, sub_version, kind, verbs = _SUBRESOURCES[sub]
            doc: dict[str, Any] = {
                "name": f"{rt.plural}/{sub}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": kind or rt.kind,
                "verbs": list(verbs),
            }
            if sub_group:
                doc["group"], doc["version"] = sub_group, sub_version
            resources.append(doc)
    group_version = f"{group}/{version_}" if group else version_
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}
