"""What a kind module declares: its resource type and its rules (defaults, validation, normalisation,
printer columns, and for virtual kinds how a request is answered). One kind per module in this package."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import Invalid
from ..resource_type import ResourceType

__all__ = ["Column", "Kind", "check_data_keys", "check_immutable", "invalid"]

Obj = dict[str, Any]
Column = tuple[str, str, int]  # (name, type, priority); priority 1 = only with -o wide
_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


@dataclass(frozen=True)
class Kind:
    """A served kind and its rules; every hook is optional.

    defaults(obj): fill defaults on create (in place). validate(obj, old): raise Invalid (old is None on
    create). normalise(obj): after every write (in place). row(obj) with `columns`: the server-side table.
    answer(ctx, body): a virtual kind's POST (reviews) -> the response object. read(ctx, namespace, name):
    a virtual kind's GET/LIST -> objects.
    """

    resource: ResourceType
    defaults: Callable[[Obj], None] | None = None
    validate: Callable[[Obj, Obj | None], None] | None = None
    normalise: Callable[[Obj], None] | None = None
    columns: tuple[Column, ...] = ()
    row: Callable[[Obj], list[Any]] | None = None
    answer: Callable[[Any, Obj], Obj] | None = None
    read: Callable[[Any, str | None, str | None], list[Obj]] | None = None


def invalid(kind: str, obj: Obj, field: str, message: str, group: str = "") -> Invalid:
    """A 422 naming the object and the field, as upstream's field errors read."""
    meta = obj.get("metadata") or {}
    return Invalid.field(kind, str(meta.get("name") or meta.get("generateName") or ""), field, message, group)


def check_data_keys(kind: str, obj: Obj, field: str, values: Any, *, binary: bool) -> None:
    """ConfigMap/Secret data maps: keys are [-._a-zA-Z0-9]+, values strings (base64 when `binary`).
    Messages never contain the values (they may be secret)."""
    if values is None:
        return
    if not isinstance(values, dict):
        raise invalid(kind, obj, field, "must be a map of strings")
    for key, value in values.items():
        if not isinstance(key, str) or not _DATA_KEY.match(key) or len(key) > 253:
            raise invalid(kind, obj, f"{field}[{key}]", f"Invalid value: {key!r}: a valid config key must consist "
                          "of alphanumeric characters, '-', '_' or '.'")
        if not isinstance(value, str):
            raise invalid(kind, obj, f"{field}[{key}]", "must be a string")
        if binary:
            try:
                base64.b64decode(value.encode(), validate=True)
            except (binascii.Error, ValueError):
                raise invalid(kind, obj, f"{field}[{key}]", "illegal base64 data (the value is not shown)") from None


def check_immutable(kind: str, obj: Obj, old: Obj | None, fields: tuple[str, ...]) -> None:
    """`immutable: true` (ConfigMap, Secret): once set, the listed fields and the flag itself are frozen."""
    if old is None or not old.get("immutable"):
        return
    for field in (*fields, "immutable"):
        if obj.get(field) != old.get(field):
            raise invalid(kind, obj, field if field != "immutable" else "immutable",
                          "Forbidden: field is immutable when `immutable` is set")
