"""authorization.k8s.io/v1 SelfSubjectAccessReview: "may I do this?" answered by the server's authorizer
for the requesting user (`kubectl auth can-i`, `afsuite doctor`). Never stored."""

from __future__ import annotations

from typing import Any

from ..auth.attributes import Attributes
from ..resource_type import rt
from .base import Kind, invalid

__all__ = ["KIND"]

_GROUP = "authorization.k8s.io"


def _answer(ctx: Any, body: dict[str, Any]) -> dict[str, Any]:
    spec = body.get("spec") or {}
    res, non = spec.get("resourceAttributes") or {}, spec.get("nonResourceAttributes") or {}
    if bool(res) == bool(non):
        raise invalid("SelfSubjectAccessReview", body, "spec.resourceAttributes",
                      "Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
                      _GROUP)
    if res:
        attrs = Attributes(ctx.user, str(res.get("verb", "")), str(res.get("namespace", "")),
                           str(res.get("group", "")), str(res.get("version", "")), str(res.get("resource", "")),
                           str(res.get("subresource", "")), str(res.get("name", "")))
    else:
        attrs = Attributes(ctx.user, str(non.get("verb", "")), path=str(non.get("path", "")) or "/")
    decision = ctx.authorizer.authorize(attrs)
    status: dict[str, Any] = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    return {"apiVersion": f"{_GROUP}/v1", "kind": "SelfSubjectAccessReview",
            "metadata": body.get("metadata") or {}, "spec": spec, "status": status}


KIND = Kind(rt(_GROUP, "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False, verbs=("create",),
               virtual=True), answer=_answer)
