"""Validation and printing shared by the four RBAC kinds (Role, ClusterRole, RoleBinding, ClusterRoleBinding)."""

from __future__ import annotations

from typing import Any

from .base import invalid
from .printing import age

__all__ = ["binding_row", "validate_binding", "validate_rules"]

GROUP = "rbac.authorization.k8s.io"
_SUBJECT_KINDS = {"User": GROUP, "Group": GROUP, "ServiceAccount": ""}


def validate_rules(kind: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """PolicyRules: verbs required; resource rules need apiGroups and resources, URL rules only on ClusterRoles."""
    for i, rule in enumerate(obj.get("rules") or ()):
        where = f"rules[{i}]"
        if not isinstance(rule, dict):
            raise invalid(kind, obj, where, "must be an object", GROUP)
        if not rule.get("verbs"):
            raise invalid(kind, obj, f"{where}.verbs", "Required value: verbs must contain at least one value", GROUP)
        urls = rule.get("nonResourceURLs") or []
        if urls and kind == "Role":
            raise invalid(kind, obj, f"{where}.nonResourceURLs", "Invalid value: namespaced rules cannot apply "
                          "to non-resource URLs", GROUP)
        if urls and (rule.get("resources") or rule.get("apiGroups")):
            raise invalid(kind, obj, f"{where}.nonResourceURLs", "Invalid value: rules cannot apply to both "
                          "regular resources and non-resource URLs", GROUP)
        if not urls:
            if not rule.get("resources"):
                raise invalid(kind, obj, f"{where}.resources", "Required value: resource rules must supply at "
                              "least one resource", GROUP)
            if rule.get("apiGroups") is None:
                raise invalid(kind, obj, f"{where}.apiGroups", "Required value: resource rules must supply at "
                              "least one api group", GROUP)


def validate_binding(kind: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """roleRef is required and immutable; subjects name a User, Group or ServiceAccount."""
    ref = obj.get("roleRef") or {}
    allowed = ("ClusterRole",) if kind == "ClusterRoleBinding" else ("Role", "ClusterRole")
    if ref.get("kind") not in allowed:
        raise invalid(kind, obj, "roleRef.kind", f"Unsupported value: {ref.get('kind')!r}: supported values: "
                      + ", ".join(f'"{a}"' for a in allowed), GROUP)
    if not ref.get("name"):
        raise invalid(kind, obj, "roleRef.name", "Required value", GROUP)
    if old is not None and (old.get("roleRef") or {}) != ref:
        raise invalid(kind, obj, "roleRef", "Invalid value: cannot change roleRef", GROUP)
    for i, subject in enumerate(obj.get("subjects") or ()):
        skind = (subject or {}).get("kind")
        if skind not in _SUBJECT_KINDS:
            raise invalid(kind, obj, f"subjects[{i}].kind", f"Unsupported value: {skind!r}: supported values: "
                          '"ServiceAccount", "User", "Group"', GROUP)
        if not subject.get("name"):
            raise invalid(kind, obj, f"subjects[{i}].name", "Required value", GROUP)
        if skind == "ServiceAccount" and kind == "ClusterRoleBinding" and not subject.get("namespace"):
            raise invalid(kind, obj, f"subjects[{i}].namespace", "Required value", GROUP)


def binding_defaults(obj: dict[str, Any]) -> None:
    """Subjects of kind User/Group default their apiGroup, as upstream's defaulting does."""
    for subject in obj.get("subjects") or ():
        if isinstance(subject, dict) and subject.get("kind") in ("User", "Group"):
            subject.setdefault("apiGroup", GROUP)
    ref = obj.get("roleRef")
    if isinstance(ref, dict):
        ref.setdefault("apiGroup", GROUP)


def binding_row(obj: dict[str, Any]) -> list[Any]:
    ref = obj.get("roleRef") or {}
    subjects = obj.get("subjects") or ()

    def names(kind: str) -> str:
        found = [s.get("name", "") if kind != "ServiceAccount" else f"{s.get('namespace', '')}/{s.get('name', '')}"
                 for s in subjects if s.get("kind") == kind]
        return ", ".join(found)

    return [obj["metadata"]["name"], f"{ref.get('kind', '')}/{ref.get('name', '')}", age(obj),
            names("User"), names("Group"), names("ServiceAccount")]


BINDING_COLUMNS = (("Name", "string", 0), ("Role", "string", 0), ("Age", "string", 0), ("Users", "string", 1),
                   ("Groups", "string", 1), ("ServiceAccounts", "string", 1))
ROLE_COLUMNS = (("Name", "string", 0), ("Created At", "date", 0))


def role_row(obj: dict[str, Any]) -> list[Any]:
    return [obj["metadata"]["name"], obj["metadata"].get("creationTimestamp", "")]
