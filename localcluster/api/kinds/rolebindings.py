"""rbac.authorization.k8s.io/v1 RoleBinding: grants a role's rules to users, groups and service accounts."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import Kind
from .rbacutil import BINDING_COLUMNS, GROUP, binding_defaults, binding_row, validate_binding

__all__ = ["KIND"]


def _validate(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    validate_binding("RoleBinding", obj, old)


KIND = Kind(
    rt(GROUP, "v1", "rolebindings", "RoleBinding", True),
    name_rule="path-segment",
    defaults=binding_defaults, validate=_validate,
    columns=BINDING_COLUMNS, row=binding_row)
