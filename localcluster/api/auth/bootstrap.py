"""The ClusterRoles and ClusterRoleBindings every RBAC-enabled cluster starts with, as upstream's bootstrap
policy names them: cluster-admin (bound to group system:masters), admin / edit / view (user-facing, written
out here for the kinds this cluster serves rather than aggregated), system:discovery,
system:public-info-viewer and system:basic-user (the self reviews)."""

from __future__ import annotations

from typing import Any

__all__ = ["bootstrap_policy"]

_RBAC = "rbac.authorization.k8s.io"
_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]
_NAMESPACED = {
    "": ["pods", "pods/log", "pods/status", "services", "services/status", "endpoints", "events", "configmaps",
         "serviceaccounts", "persistentvolumeclaims"],
    "apps": ["deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
             "replicasets/status", "statefulsets", "daemonsets"],
    "autoscaling": ["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
    "policy": ["poddisruptionbudgets", "poddisruptionbudgets/status"],
    "discovery.k8s.io": ["endpointslices"],
    "events.k8s.io": ["events"],
    "coordination.k8s.io": ["leases"],
    "batch": ["jobs", "cronjobs"],
}


def _role(name: str, rules: list[dict[str, Any]], **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", **labels}}
    return {"apiVersion": f"{_RBAC}/v1", "kind": "ClusterRole", "metadata": meta, "rules": rules}


def _binding(name: str, role: str, *groups: str) -> dict[str, Any]:
    return {"apiVersion": f"{_RBAC}/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
            "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": _RBAC, "kind": "Group", "name": g} for g in groups]}


def _user_facing(verbs: list[str], with_secrets: bool, with_rbac: bool) -> list[dict[str, Any]]:
    rules = [{"apiGroups": [g], "resources": list(rs), "verbs": list(verbs)} for g, rs in _NAMESPACED.items()]
    rules.append({"apiGroups": [""], "resources": ["namespaces"], "verbs": list(_READ)})
    rules.append({"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"], "verbs": list(_READ)})
    if with_secrets:
        rules.append({"apiGroups": [""], "resources": ["secrets"], "verbs": list(verbs)})
    if verbs != _READ:
        rules.append({"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]})
    if with_rbac:
        rules.append({"apiGroups": [_RBAC], "resources": ["roles", "rolebindings"], "verbs": [*_READ, *_WRITE]})
        rules.append({"apiGroups": ["authorization.k8s.io"], "resources": ["localsubjectaccessreviews"],
                      "verbs": ["create"]})
    return rules


def bootstrap_policy() -> list[dict[str, Any]]:
    """The default ClusterRoles and ClusterRoleBindings (objects to create)."""
    discovery = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                 "/readyz", "/version", "/version/"]
    public = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
    reviews = [{"apiGroups": ["authorization.k8s.io"],
                "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], "verbs": ["create"]},
               {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]}]
    return [
        _role("cluster-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                                {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
        _role("admin", _user_facing([*_READ, *_WRITE], True, True)),
        _role("edit", _user_facing([*_READ, *_WRITE], True, False)),
        _role("view", _user_facing(list(_READ), False, False)),
        _role("system:discovery", [{"nonResourceURLs": discovery, "verbs": ["get"]}]),
        _role("system:public-info-viewer", [{"nonResourceURLs": public, "verbs": ["get"]}]),
        _role("system:basic-user", reviews),
        _binding("cluster-admin", "cluster-admin", "system:masters"),
        _binding("system:discovery", "system:discovery", "system:authenticated"),
        _binding("system:public-info-viewer", "system:public-info-viewer", "system:authenticated",
                 "system:unauthenticated"),
        _binding("system:basic-user", "system:basic-user", "system:authenticated"),
    ]
