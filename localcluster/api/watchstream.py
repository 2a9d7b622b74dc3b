"""GET ...?watch=true: a chunked stream of newline-delimited watch events until timeoutSeconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import tables
from .errors import BadRequest
from .http import Request, Response, dumps
from .resources import ResourceType
from .routes import ResourceRoute
from .views import field_requirements, to_view
from .watch import BOOKMARK, ERROR, WatchEvent

if TYPE_CHECKING:
    from .handler import Api

__all__ = ["DEFAULT_WATCH_TIMEOUT", "encode_event", "open_watch"]

DEFAULT_WATCH_TIMEOUT = 1800  # upstream keeps a watch open 30-60 min when no timeoutSeconds is given
_POLL = 0.5  # how often an idle watch checks its client, deadline and bookmarks


def encode_event(rt: ResourceType, event: WatchEvent, table: bool = False, include: str = "Metadata") -> bytes:
    """One watch event line: {"type":..,"object":..}\\n (the object as the client asked for it)."""
    raw: bytes | None
    if event.type in (ERROR, BOOKMARK):
        raw = dumps(event.object)
    elif table:
        raw = dumps(tables.table(rt, [to_view(rt, event.object)], str(event.rv), include))
    elif rt.storage:
        raw = dumps(to_view(rt, event.object))
    elif event.change is not None:
        raw = event.change.raw
        if raw is None:
            raw = event.change.raw = dumps(event.change.obj)
    else:
        raw = dumps(event.object)
    return b'{"type":"' + event.type.encode() + b'","object":' + raw + b"}\n"


def _bookmark(rt: ResourceType, rv: int) -> bytes:
    obj = {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": {"resourceVersion": str(rv)}}
    return encode_event(rt, WatchEvent(BOOKMARK, obj))


def open_watch(api: Api, req: Request, route: ResourceRoute) -> Response:
    """Open the store watcher now (so a bad selector or resourceVersion is a plain 400) and stream it."""
    rt = route.rt
    timeout = req.int_param("timeoutSeconds")
    timeout = DEFAULT_WATCH_TIMEOUT if timeout is None or timeout <= 0 else timeout
    try:
        watcher = api.store.watch(
            rt,
            route.namespace,
            label_selector=req.query.get("labelSelector") or None,
            field_selector=field_requirements(rt, req.query.get("fieldSelector")),
            resource_version=req.query.get("resourceVersion") or None,
            copy=False,
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    start_rv = int(api.store.resource_version)
    table = tables.wants_table(req.accept)
    include = req.query.get("includeObject", "Metadata")
    bookmarks = req.flag("allowWatchBookmarks")

    def _stream(write: Callable[[bytes], None], alive: Callable[[], bool]) -> None:
        deadline = time.monotonic() + timeout
        next_bookmark = time.monotonic() + api.bookmark_interval
        last_rv = start_rv
        try:
            while not api.closing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                event = watcher.next(timeout=min(_POLL, remaining))
                if event is None:
                    if watcher.closed or not alive():
                        return
                    if bookmarks and time.monotonic() >= next_bookmark:
                        write(_bookmark(rt, last_rv))
                        next_bookmark = time.monotonic() + api.bookmark_interval
                    continue
                write(encode_event(rt, event, table, include))
                if event.type == ERROR:
                    return
                last_rv = max(last_rv, event.rv)
        finally:
            watcher.close()

    return Response(200, stream=_stream)
