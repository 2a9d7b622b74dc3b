"""GET /openapi/v2 (JSON, or gnostic protobuf when asked, as kubectl asks) and /openapi/v3[/<group-version>]."""

from __future__ import annotations

from ..errors import NotFound
from ..http import Request, Response
from .document import v2_document, v3_discovery, v3_document

__all__ = ["openapi_response"]

V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"  # what clients ask for (Accept)
_V2_PROTOBUF_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"  # a parseable media type


def openapi_response(req: Request, path: str) -> Response:
    if req.method != "GET":
        raise NotFound(f"the server could not find the requested resource ({req.path})", details={})
    if path == "/openapi/v2":
        if V2_PROTOBUF in req.accept:
            from .gnostic import v2_protobuf

            return Response(200, v2_protobuf(), content_type=_V2_PROTOBUF_TYPE)
        return Response(200, v2_document())
    if path == "/openapi/v3":
        return Response(200, v3_discovery())
    if path.startswith("/openapi/v3/"):
        doc = v3_document(path[len("/openapi/v3/"):])
        if doc is not None:
            headers = {"Cache-Control": "public, immutable"} if "hash" in req.query else {}
            return Response(200, doc, headers=headers)
    raise NotFound(f"the server could not find the requested resource ({req.path})", details={})
