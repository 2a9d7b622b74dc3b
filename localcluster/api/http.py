"""Transport-neutral request/response objects and JSON encoding shared by the REST handlers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, BadRequest

__all__ = ["JSON", "Request", "Response", "StreamBody", "dumps", "error_response", "json_response"]

JSON = "application/json"
TRUE = ("true", "True", "TRUE", "1")

# A streaming body: called with write(chunk) (raises OSError once the client is gone) and alive()
StreamBody = Callable[[Callable[[bytes], None], Callable[[], bool]], None]

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes."""
    return _encoder.encode(obj).encode("utf-8")


@dataclass
class Request:
    """One HTTP request as the REST layer sees it (header names lower-case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    user: Any = None  # the authenticated auth.User (set by the server before routing)
    warnings: list[str] = field(default_factory=list)  # sent back as `Warning: 299 - "..."` headers

    def flag(self, name: str) -> bool:
        """A boolean query parameter: `true`, `True` and `1` are true (clients <=36 send `True`)."""
        return self.query.get(name, "") in TRUE

    def int_param(self, name: str) -> int | None:
        value = self.query.get(name)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f"query parameter {name}={value!r} must be an integer") from None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def accept(self) -> str:
        return self.headers.get("accept", "")

    def json(self, *, default: Any = None) -> Any:
        """The JSON body; a missing Content-Type is JSON (client 37); empty body -> `default`."""
        if not self.body.strip():
            return default
        ctype = self.content_type
        if ctype and "json" not in ctype and ctype != "*/*":
            raise BadRequest(f"unsupported Content-Type {ctype!r}: send JSON (application/json)")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"the request body is not valid JSON: {exc}") from None


@dataclass
class Response:
    """A complete body, or a chunked stream when `stream` is set."""

    code: int
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    stream: StreamBody | None = None


def json_response(code: int, obj: Any) -> Response:
    return Response(code, dumps(obj))


def error_response(err: ApiError) -> Response:
    return Response(err.code, dumps(err.status()), headers=dict(err.headers))
