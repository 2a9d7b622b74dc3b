"""Field ownership (metadata.managedFields) and server-side apply. Placeholder until SSA lands: writes keep
no managedFields and an apply patch is refused with 415."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import UnsupportedMediaType
from .http import Request, Response
from .resource_type import ResourceType
from .routes import ResourceRoute

if TYPE_CHECKING:
    from .rest import RestApi

__all__ = ["FieldManager"]


class FieldManager:
    def on_create(self, req: Request, rt: ResourceType, obj: dict[str, Any]) -> None:
        return None

    def on_update(self, req: Request, rt: ResourceType, obj: dict[str, Any], route: ResourceRoute) -> None:
        return None

    def on_patch(self, req: Request, rt: ResourceType, old: dict[str, Any], new: dict[str, Any],
                 route: ResourceRoute) -> None:
        return None

    def apply(self, api: RestApi, req: Request, route: ResourceRoute, dry_run: bool) -> Response:
        raise UnsupportedMediaType("server-side apply is not supported yet")
