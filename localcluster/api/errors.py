"""API errors as Kubernetes `Status` objects (the body every failed request returns)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyExists",
    "ApiError",
    "BadRequest",
    "Conflict",
    "Expired",
    "Forbidden",
    "Invalid",
    "MethodNotAllowed",
    "NotFound",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "status_body",
]


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `Status` object; `status` is Success for 2xx codes and Failure otherwise."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success" if 200 <= code < 300 else "Failure",
    }
    if message:
        body["message"] = message
    if reason:
        body["reason"] = reason
    if details:
        body["details"] = details
    body["code"] = code
    return body


class ApiError(Exception):
    """An error the API answers with a Status body and an HTTP code."""

    code = 500
    reason = "InternalError"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        """The Status object for this error."""
        return status_body(self.code, self.reason, self.message, self.details)


def _details(kind: str, name: str, group: str = "") -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    return details


class NotFound(ApiError):
    code = 404
    reason = "NotFound"

    @classmethod
    def of(cls, plural: str, name: str, group: str = "") -> NotFound:
        """`pods "x" not found`, with details {name, group, kind} as upstream."""
        what = f"{plural}.{group}" if group else plural
        return cls(f'{what} "{name}" not found', details=_details(plural, name, group))


class AlreadyExists(ApiError):
    code = 409
    reason = "AlreadyExists"

    @classmethod
    def of(cls, plural: str, name: str, group: str = "") -> AlreadyExists:
        what = f"{plural}.{group}" if group else plural
        return cls(f'{what} "{name}" already exists', details=_details(plural, name, group))


class Conflict(ApiError):
    code = 409
    reason = "Conflict"

    @classmethod
    def modified(cls, plural: str, name: str, group: str = "") -> Conflict:
        what = f"{plural}.{group}" if group else plural
        return cls(
            f'Operation cannot be fulfilled on {what} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again",
            details=_details(plural, name, group),
        )


class Invalid(ApiError):
    code = 422
    reason = "Invalid"

    @classmethod
    def field(cls, kind: str, name: str, field: str, message: str, group: str = "") -> Invalid:
        details = _details(kind, name, group)
        details["causes"] = [{"reason": "FieldValueInvalid", "message": message, "field": field}]
        return cls(f'{kind} "{name}" is invalid: {field}: {message}', details=details)


class BadRequest(ApiError):
    code = 400
    reason = "BadRequest"


class Unauthorized(ApiError):
    code = 401
    reason = "Unauthorized"


class Forbidden(ApiError):
    code = 403
    reason = "Forbidden"


class MethodNotAllowed(ApiError):
    code = 405
    reason = "MethodNotAllowed"


class Expired(ApiError):
    code = 410
    reason = "Expired"


class UnsupportedMediaType(ApiError):
    code = 415
    reason = "UnsupportedMediaType"


class TooManyRequests(ApiError):
    code = 429
    reason = "TooManyRequests"
