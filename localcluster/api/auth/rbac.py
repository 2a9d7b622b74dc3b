"""Authorization: the RBAC authorizer over the stored Roles, ClusterRoles, RoleBindings and
ClusterRoleBindings (rule matching as upstream's: `*` verbs/groups/resources, `*/subresource`, resourceNames,
nonResourceURLs with a trailing `*`), the allow-all authorizer of a bare test server, and the 403 Status
upstream answers when nothing allows a request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import Forbidden
from .attributes import Attributes
from .identity import User

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["AllowAll", "Authorizer", "Decision", "RBACAuthorizer", "forbidden"]

_GROUP = "rbac.authorization.k8s.io"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


class Authorizer(Protocol):
    def authorize(self, attrs: Attributes) -> Decision: ...

    def rules_for(self, user: User, namespace: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]: ...


class AllowAll:
    """Every request allowed (a bare ApiServer without authorization configured, as in unit tests)."""

    def authorize(self, attrs: Attributes) -> Decision:
        return Decision(True, "")

    def rules_for(self, user: User, namespace: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        return ([{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "")


def _subject_matches(subject: dict[str, Any], user: User, binding_ns: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user.name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_ns
        return user.name == f"system:serviceaccount:{ns}:{name}"
    return False


def _resource_matches(rule: dict[str, Any], attrs: Attributes) -> bool:
    combined = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    for res in rule.get("resources") or ():
        if res in ("*", combined):
            return True
        if attrs.subresource and res == f"*/{attrs.subresource}":
            return True
    return False


def rule_allows(rule: dict[str, Any], attrs: Attributes) -> bool:
    """True when one PolicyRule covers the request."""
    verbs = rule.get("verbs") or ()
    if "*" not in verbs and attrs.verb not in verbs:
        return False
    if not attrs.resource_request:
        for url in rule.get("nonResourceURLs") or ():
            if url == attrs.path or url == "*" or (url.endswith("*") and attrs.path.startswith(url[:-1])):
                return True
        return False
    groups = rule.get("apiGroups") or ()
    if "*" not in groups and attrs.group not in groups:
        return False
    if not _resource_matches(rule, attrs):
        return False
    names = rule.get("resourceNames") or ()
    return not names or attrs.name in names


def _describe(subject: dict[str, Any]) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f'ServiceAccount "{subject.get("namespace", "")}/{subject.get("name")}"'
    return f'{subject.get("kind")} "{subject.get("name")}"'


class RBACAuthorizer:
    """Reads the RBAC objects from the store on each decision (a handful of objects: no cache to go stale)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _role(self, ref: dict[str, Any], namespace: str) -> tuple[list[dict[str, Any]], str]:
        kind, name = ref.get("kind"), str(ref.get("name", ""))
        if kind == "ClusterRole":
            obj = self.store.try_get(f"{_GROUP}/v1/clusterroles", None, name)
            missing = f'clusterrole.rbac.authorization.k8s.io "{name}" not found'
        else:
            obj = self.store.try_get(f"{_GROUP}/v1/roles", namespace, name)
            missing = f'role.rbac.authorization.k8s.io "{name}" not found'
        if obj is None:
            return [], missing
        return list(obj.get("rules") or ()), ""

    def _grants(self, user: User, namespace: str) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]], str]]:
        """(binding description, matching subject, rules, error) for every binding that names the user."""
        sources = [("ClusterRoleBinding", self.store.list(f"{_GROUP}/v1/clusterrolebindings"))]
        if namespace:
            sources.append(("RoleBinding", self.store.list(f"{_GROUP}/v1/rolebindings", namespace)))
        for kind, bindings in sources:
            for binding in bindings:
                meta = binding["metadata"]
                subject = next((s for s in binding.get("subjects") or ()
                                if _subject_matches(s, user, meta.get("namespace", ""))), None)
                if subject is None:
                    continue
                ref = binding.get("roleRef") or {}
                rules, error = self._role(ref, meta.get("namespace", ""))
                where = f'{kind} "{meta["name"]}"' + (f' in namespace "{meta["namespace"]}"'
                                                       if kind == "RoleBinding" else "")
                yield f'{where} of {ref.get("kind")} "{ref.get("name")}"', subject, rules, error

    def authorize(self, attrs: Attributes) -> Decision:
        errors: list[str] = []
        for where, subject, rules, error in self._grants(attrs.user, attrs.namespace):
            if error:
                errors.append(error)
            if any(rule_allows(rule, attrs) for rule in rules):
                return Decision(True, f"RBAC: allowed by {where} to {_describe(subject)}")
        return Decision(False, f"RBAC: {', '.join(errors)}" if errors else "")

    def rules_for(self, user: User, namespace: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        """(resourceRules, nonResourceRules, evaluationError) for SelfSubjectRulesReview."""
        resource, non_resource, errors = [], [], []
        for _, _, rules, error in self._grants(user, namespace):
            if error:
                errors.append(error)
            for rule in rules:
                if rule.get("nonResourceURLs"):
                    non_resource.append({"verbs": list(rule.get("verbs") or ()),
                                         "nonResourceURLs": list(rule["nonResourceURLs"])})
                else:
                    out = {k: list(rule[k]) for k in ("verbs", "apiGroups", "resources", "resourceNames")
                           if rule.get(k) is not None}
                    resource.append(out)
        return resource, non_resource, ", ".join(errors)


def forbidden(attrs: Attributes, reason: str = "") -> Forbidden:
    """Upstream's 403: `pods "x" is forbidden: User "u" cannot delete resource "pods" in API group "" in the
    namespace "ns"` (`at the cluster scope` for cluster-scoped requests; `cannot get path "/p"` for URLs)."""
    user = attrs.user.name
    if not attrs.resource_request:
        message = f'forbidden: User "{user}" cannot {attrs.verb} path "{attrs.path}"'
        return Forbidden(message + (f": {reason}" if reason else ""), details={})
    combined = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    scope = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    why = f'User "{user}" cannot {attrs.verb} resource "{combined}" in API group "{attrs.group}" {scope}'
    if reason:
        why += f": {reason}"
    what = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
    head = f'{what} "{attrs.name}" is forbidden' if attrs.name else f"{what} is forbidden"
    details: dict[str, Any] = {}
    if attrs.name:
        details["name"] = attrs.name
    if attrs.group:
        details["group"] = attrs.group
    details["kind"] = attrs.resource
    return Forbidden(f"{head}: {why}", details=details)
