"""Kinds served since the API grew beyond the AgentFlow core: one module per kind, each declaring its
`ResourceType` and rules (see base.Kind). `KINDS` is what resources.RESOURCES appends; `rules_of` finds a
kind's rules by resource key ('v1/secrets')."""

from __future__ import annotations

from . import (
    clusterrolebindings,
    clusterroles,
    configmaps,
    horizontalpodautoscalers_v1,
    leases,
    nodemetrics,
    podmetrics,
    rolebindings,
    roles,
    secrets,
    selfsubjectaccessreviews,
    selfsubjectreviews,
    selfsubjectrulesreviews,
    serviceaccounts,
)
from .base import Kind

__all__ = ["KINDS", "VIEWS", "Kind", "rules_of"]

KINDS: tuple[Kind, ...] = (
    configmaps.KIND,
    secrets.KIND,
    serviceaccounts.KIND,
    leases.KIND,
    roles.KIND,
    clusterroles.KIND,
    rolebindings.KIND,
    clusterrolebindings.KIND,
    selfsubjectaccessreviews.KIND,
    selfsubjectrulesreviews.KIND,
    selfsubjectreviews.KIND,
    horizontalpodautoscalers_v1.KIND,
    podmetrics.KIND,
    nodemetrics.KIND,
)
_BY_KEY = {kind.resource.key: kind for kind in KINDS}
# resource key -> (stored -> served representation, request body -> stored shape)
VIEWS = {horizontalpodautoscalers_v1.KIND.resource.key: horizontalpodautoscalers_v1.VIEW}


def rules_of(key: str) -> Kind | None:
    """The rules of the kind served under resource key `key`, or None for the core kinds."""
    return _BY_KEY.get(key)
