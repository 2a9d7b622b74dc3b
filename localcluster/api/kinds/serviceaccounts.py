"""core/v1 ServiceAccount. Every namespace gets a `default` one (the namespace controller creates it, as
upstream's service account controller does). Tokens are not minted for service accounts: the cluster's
identities are the kubeconfig users (see auth/)."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import Kind
from .printing import age

__all__ = ["KIND"]


def _row(obj: dict[str, Any]) -> list[Any]:
    return [obj["metadata"]["name"], len(obj.get("secrets") or ()), age(obj)]


KIND = Kind(
    rt("", "v1", "serviceaccounts", "ServiceAccount", short_names=("sa",)),
    columns=(("Name", "string", 0), ("Secrets", "integer", 0), ("Age", "string", 0)),
    row=_row,
)
