"""rbac.authorization.k8s.io/v1 Role: a set of PolicyRules, enforced by the RBAC authorizer (auth/rbac.py)."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import Kind
from .rbacutil import GROUP, ROLE_COLUMNS, role_row, validate_rules

__all__ = ["KIND"]


def _validate(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    validate_rules("Role", obj, old)


KIND = Kind(
    rt(GROUP, "v1", "roles", "Role", True),
    name_rule="path-segment",
    validate=_validate,
    columns=ROLE_COLUMNS, row=role_row)
