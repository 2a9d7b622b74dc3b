"""Request bodies in every encoding clients send: JSON (also with no Content-Type, as client 37 sends),
YAML (server-side apply's application/apply-patch+yaml), and Kubernetes protobuf (what kubectl's typed
clients send for `kubectl create <kind>`, `auth can-i`, `autoscale`: client-go 1.32 has no fallback to JSON
for them, so the server decodes it; see protobuf.py)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from .errors import BadRequest, UnsupportedMediaType
from .http import Request
from .resource_type import ResourceType

__all__ = ["PROTOBUF", "decode"]

PROTOBUF = "application/vnd.kubernetes.protobuf"
_YAML = ("application/yaml", "application/apply-patch+yaml")


def decode(req: Request, rt: ResourceType | None, *, default: Any = None) -> Any:
    """The body as JSON-shaped data (`default` when empty); 400 when malformed, 415 for unknown encodings."""
    if not req.body.strip():
        return default
    ctype = req.content_type
    if ctype == PROTOBUF:
        from .protobuf import decode_object

        return decode_object(req.body, rt)
    if ctype in _YAML:
        try:
            return yaml.safe_load(req.body)
        except yaml.YAMLError as exc:
            raise BadRequest(f"the request body is not valid YAML: {exc}") from None
    if ctype and "json" not in ctype and ctype != "*/*":
        raise UnsupportedMediaType(f"the body of the request was in an unknown format - accepted media types "
                                   f"include: application/json, application/yaml, {PROTOBUF}")
    try:
        return json.loads(req.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
