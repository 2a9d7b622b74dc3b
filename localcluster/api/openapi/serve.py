"""GET /openapi/v2 and /openapi/v3[/<group-version>]."""

from __future__ import annotations

from ..errors import NotFound
from ..http import Request, Response

__all__ = ["openapi_response"]


def openapi_response(req: Request, path: str) -> Response:
    raise NotFound(f"the server could not find the requested resource ({req.path})", details={})
