"""authorization.k8s.io/v1 SelfSubjectRulesReview: every rule the requesting user holds in a namespace
(`kubectl auth can-i --list`). Never stored."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import Kind, invalid

__all__ = ["KIND"]

_GROUP = "authorization.k8s.io"


def _answer(ctx: Any, body: dict[str, Any]) -> dict[str, Any]:
    spec = body.get("spec") or {}
    namespace = spec.get("namespace")
    if not isinstance(namespace, str):
        raise invalid("SelfSubjectRulesReview", body, "spec.namespace", "Required value", _GROUP)
    resource, non_resource, error = ctx.authorizer.rules_for(ctx.user, namespace)
    status: dict[str, Any] = {"resourceRules": resource, "nonResourceRules": non_resource, "incomplete": False}
    if error:
        status["evaluationError"] = error
    return {"apiVersion": f"{_GROUP}/v1", "kind": "SelfSubjectRulesReview",
            "metadata": body.get("metadata") or {}, "spec": spec, "status": status}


KIND = Kind(rt(_GROUP, "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", False, verbs=("create",),
               virtual=True), answer=_answer)
