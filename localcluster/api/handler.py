"""What a request handler module (writes, subresources, fields, virtual, watchstream) may use of the REST API that
dispatches to it. `rest.RestApi` provides it; the handlers are typed against this protocol, so rest imports the
handlers and no handler imports rest (one direction, no import cycle)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .auth import Authorizer
from .hooks import DeleteOptions, EvictionHandler, MetricsSource, PodDeleter
from .http import Request, Response
from .logs import PodLogSource
from .resources import ResourceType
from .routes import ResourceRoute
from .store import Store

__all__ = ["Api", "FieldTracking", "PluggableParts"]


class PluggableParts(Protocol):
    """The pluggable parts (rest.Hooks): pod deletion, eviction, logs, metrics."""

    @property
    def pod_deleter(self) -> PodDeleter: ...

    @property
    def eviction(self) -> EvictionHandler: ...

    @property
    def logs(self) -> PodLogSource: ...

    @property
    def metrics(self) -> MetricsSource: ...


class FieldTracking(Protocol):
    """Server-side field ownership (fields.FieldManager)."""

    def tracker(self, req: Request, rt: ResourceType, subresource: str | None) -> Callable[[Any, Any], None]: ...

    def apply(self, api: Api, req: Request, route: ResourceRoute, dry_run: bool) -> Response: ...


class Api(Protocol):
    """The REST API as its handlers see it."""

    @property
    def store(self) -> Store: ...

    @property
    def hooks(self) -> PluggableParts: ...

    @property
    def fields(self) -> FieldTracking: ...

    @property
    def authorizer(self) -> Authorizer: ...

    @property
    def bookmark_interval(self) -> float: ...

    @property
    def closing(self) -> bool: ...

    def present(self, rt: ResourceType, obj: dict[str, Any], req: Request, code: int = 200) -> Response: ...

    def select(self, req: Request, route: ResourceRoute) -> tuple[list[Any], str]: ...

    def check_fields(self, req: Request, rt: ResourceType, body: dict[str, Any]) -> None: ...

    def delete_object(self, rt: ResourceType, namespace: str | None, name: str,
                      options: DeleteOptions) -> dict[str, Any]: ...
