"""`afsuite doctor`'s permission check: one SelfSubjectAccessReview per permission the suite needs, and a
finding per permission that is denied, naming it exactly (verb, resource, namespace) and what needs it.

PERMISSIONS is the README's RBAC list and the rules of the suite's two ClusterRoles in
localcluster/workload/identities.yaml (a test keeps the three equal): `agentflow-suite` in the target's
namespace, `agentflow-suite-nodes` cluster-wide (nodes, and the pods a drain lists and evicts on them).
"""

from __future__ import annotations

from typing import Any, Protocol

from harness.doctor_checks import Finding

__all__ = ["PERMISSIONS", "Permission", "permission_findings"]

_READ = ("get", "list", "watch")
_OBSERVER = "observer"
NAMESPACE, CLUSTER = "namespace", "cluster"
# (scope, verbs, group, resource, subresource, severity when denied, what needs it)
Permission = tuple[str, tuple[str, ...], str, str, str, str, str]
_N = NAMESPACE
PERMISSIONS: tuple[Permission, ...] = (
    (_N, _READ, "", "pods", "", "error", "observer, every experiment"),
    (_N, ("delete",), "", "pods", "", "error", "pod-kill, graceful-shutdown, zone-outage-hard"),
    (_N, _READ, "", "services", "", "warning", "service probes, endpoint checks"),
    (_N, _READ, "", "events", "", "warning", _OBSERVER),
    (_N, _READ, "apps", "deployments", "", "error", "observer, steady-state probes"),
    (_N, ("patch",), "apps", "deployments", "", "warning", "rolling-restart"),
    (_N, _READ, "apps", "replicasets", "", "warning", _OBSERVER),
    (_N, _READ, "autoscaling", "horizontalpodautoscalers", "", "warning", "observer, hpa-scale"),
    (_N, _READ, "policy", "poddisruptionbudgets", "", "warning", "observer, PDB checks"),
    (_N, _READ, "discovery.k8s.io", "endpointslices", "", "warning", "observer, endpoint checks"),
    (_N, _READ, "events.k8s.io", "events", "", "warning", _OBSERVER),
    (_N, ("get", "list"), "metrics.k8s.io", "pods", "", "warning", "observer (HPA replay, metrics freshness)"),
    (CLUSTER, _READ, "", "nodes", "", "error", "observer, placement checks, node-drain"),
    (CLUSTER, ("patch",), "", "nodes", "", "error", "node-drain, zone-outage (cordon)"),
    (CLUSTER, ("get", "list"), "", "pods", "", "error", "node-drain, zone-outage (the pods on the nodes)"),
    (CLUSTER, ("create",), "", "pods", "eviction", "error", "node-drain, zone-outage"),
)


class Reviewer(Protocol):
    def call(self, method: str, path: str, body: Any = None, **query: str) -> dict[str, Any]: ...


def _status_of(exc: BaseException) -> int | None:
    return getattr(exc, "status", None)


def permission_findings(kube: Reviewer, namespace: str) -> list[Finding]:
    """One finding per denied permission; one `rbac.allowed` summary; `rbac.not-checkable` when the server
    has no SelfSubjectAccessReview."""
    out, granted, total = [], 0, 0
    for scope, verbs, group, resource, sub, severity, needed_by in PERMISSIONS:
        for verb in verbs:
            total += 1
            attrs = {"verb": verb, "group": group, "resource": resource, "subresource": sub}
            if scope == NAMESPACE:
                attrs["namespace"] = namespace
            body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                    "spec": {"resourceAttributes": attrs}}
            kind = f"{resource}/{sub}" if sub else resource
            what = f"{verb} {kind}" + (f".{group}" if group else "")
            where = f'namespace "{namespace}"' if scope == NAMESPACE else "cluster scope (all namespaces)"
            try:
                status = kube.call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)
            except Exception as exc:  # the official client's ApiException (or a transport error)
                if _status_of(exc) == 404:
                    return [Finding("info", "rbac.not-checkable", "the API server does not serve "
                                    "SelfSubjectAccessReview: permissions not checkable")]
                out.append(Finding("warning", "rbac.review", f"{what}: review failed ({_status_of(exc) or exc})"))
                continue
            if (status.get("status") or {}).get("allowed"):
                granted += 1
            else:
                out.append(Finding(severity, "rbac.denied", f"{what} denied in the {where}: needed by {needed_by}",
                                   f"{verb} {kind}" + (" (cluster-wide)" if scope == CLUSTER else "")))
    summary = f"{granted} of {total} permissions the suite needs are granted"
    return [Finding("ok" if granted == total else "info", "rbac.allowed", summary), *out]
