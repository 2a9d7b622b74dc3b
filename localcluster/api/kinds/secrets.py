"""core/v1 Secret: `stringData` is folded into base64 `data` on every write (never stored), `type` defaults
to Opaque, `immutable` freezes the data. Values are never put into a message, log line or event."""

from __future__ import annotations

import base64
from typing import Any

from ..resource_type import rt
from .base import Kind, check_data_keys, check_immutable, invalid
from .printing import age

__all__ = ["KIND"]

_REQUIRED_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/basic-auth": (),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
}


def _normalise(obj: dict[str, Any]) -> None:
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = obj.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
    if "data" in obj and not obj["data"]:
        del obj["data"]


def _defaults(obj: dict[str, Any]) -> None:
    obj.setdefault("type", "Opaque")


def _validate(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    check_data_keys("Secret", obj, "data", obj.get("data"), binary=True)
    check_data_keys("Secret", obj, "stringData", obj.get("stringData"), binary=False)
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    for key in _REQUIRED_KEYS.get(str(obj.get("type", "")), ()):
        if key not in keys:
            raise invalid("Secret", obj, f"data[{key}]", "Required value")
    if old is not None and obj.get("type", "Opaque") != old.get("type", "Opaque"):
        raise invalid("Secret", obj, "type", "Invalid value: field is immutable")
    check_immutable("Secret", obj, old, ("data",))


def _row(obj: dict[str, Any]) -> list[Any]:
    return [obj["metadata"]["name"], obj.get("type", "Opaque"), len(obj.get("data") or {}), age(obj)]


KIND = Kind(
    rt("", "v1", "secrets", "Secret"),
    defaults=_defaults,
    validate=_validate,
    normalise=_normalise,
    columns=(("Name", "string", 0), ("Type", "string", 0), ("Data", "string", 0), ("Age", "string", 0)),
    row=_row,
)
