"""AgentFlow's JSON bodies: the native success/error envelopes, the OpenAI error shape, ids and timestamps."""

from __future__ import annotations

import json
import os
import time
from typing import Any

__all__ = [
    "STATUS_BY_CODE",
    "error_body",
    "new_request_id",
    "openai_error_body",
    "rfc3339",
    "status_for",
    "success_body",
]

STATUS_BY_CODE: dict[str, int] = {
    "INVALID_REQUEST": 400,
    "AUTHENTICATION": 401,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "MODEL_NOT_FOUND": 404,
    "RATE_LIMIT": 429,
    "QUOTA_EXCEEDED": 402,
    "CONTEXT_TOO_LONG": 413,
    "CONTENT_FILTERED": 422,
    "TIMEOUT": 504,
    "UPSTREAM_TIMEOUT": 504,
    "SERVICE_UNAVAILABLE": 503,
    "MODEL_OVERLOADED": 503,
    "PROVIDER_UNAVAILABLE": 503,
    "UPSTREAM_ERROR": 502,
    "INTERNAL_ERROR": 500,
}
RETRYABLE = frozenset({"RATE_LIMIT", "TIMEOUT", "UPSTREAM_TIMEOUT", "SERVICE_UNAVAILABLE", "MODEL_OVERLOADED",
                       "PROVIDER_UNAVAILABLE", "UPSTREAM_ERROR"})
_OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 404: "not_found_error", 413: "invalid_request_error", 422: "invalid_request_error",
                 429: "rate_limit_error"}


def status_for(code: str) -> int:
    """HTTP status of an AgentFlow error code (unknown codes are 500, as in AgentFlow)."""
    return STATUS_BY_CODE.get(code, 500)


def new_request_id() -> str:
    return "req-" + os.urandom(16).hex()


def rfc3339(t: float | None = None) -> str:
    """UTC RFC 3339 timestamp with microseconds, as Go marshals time.Time (to the microsecond)."""
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e6):06d}Z"


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def error_info(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "retryable": code in RETRYABLE}


def error_body(code: str, message: str, request_id: str) -> bytes:
    """Native error envelope (Go's json.Encoder adds a trailing newline)."""
    env = {"success": False, "error": error_info(code, message), "timestamp": rfc3339(),
           "request_id": request_id}
    return _dumps(env) + b"\n"


def success_body(data: Any, request_id: str) -> bytes:
    env = {"success": True, "data": data, "timestamp": rfc3339(), "request_id": request_id}
    return _dumps(env) + b"\n"


def sse_error_payload(code: str, message: str, request_id: str) -> bytes:
    """The data of a native/agent ``event: error`` frame."""
    return _dumps({"error": error_info(code, message), "request_id": request_id})


def openai_error_body(code: str, message: str, status: int | None = None) -> bytes:
    """OpenAI-compatible error object; ``type`` follows the HTTP status (server_error for 5xx)."""
    status = status_for(code) if status is None else status
    kind = _OPENAI_TYPES.get(status, "server_error")
    return _dumps({"error": {"message": message, "type": kind, "code": code}}) + b"\n"


def dumps(obj: Any) -> bytes:
    return _dumps(obj)
