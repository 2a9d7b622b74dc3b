"""authentication.k8s.io/v1 SelfSubjectReview: who the server thinks the requester is (`kubectl auth whoami`).
Never stored."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import Kind

__all__ = ["KIND"]

_GROUP = "authentication.k8s.io"


def _answer(ctx: Any, body: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": f"{_GROUP}/v1", "kind": "SelfSubjectReview", "metadata": body.get("metadata") or {},
            "status": {"userInfo": ctx.user.info()}}


KIND = Kind(rt(_GROUP, "v1", "selfsubjectreviews", "SelfSubjectReview", False, verbs=("create",), virtual=True),
            answer=_answer)
