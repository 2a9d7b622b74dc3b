"""What a kind module declares: its resource type and its rules: defaults, validation, normalisation, printer
columns, selectable fields, the view it is of another stored kind, and for virtual kinds how a request is answered.
One kind per module in this package (a module with a `KIND` is a kind; the package finds them, see __init__)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ...selectors import FieldRequirement, matches_field_selector, parse_field_selector
from ..errors import Invalid
from ..resource_type import ResourceType

__all__ = ["Column", "IPAllocator", "Kind", "check_data_keys", "check_immutable", "invalid"]

Obj = dict[str, Any]
Column = tuple[str, str, int]  # (name, type, priority); priority 1 = only with -o wide
FieldGetter = Callable[[Mapping[str, Any]], str]
NameRule = Literal["subdomain", "dns-label", "path-segment"]
_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


class IPAllocator(Protocol):
    """Hands out and reserves Service cluster IPs (strategy.ServiceIPAllocator, or its dry-run twin)."""

    def allocate(self) -> str: ...

    def reserve(self, ip: str) -> None: ...


@dataclass(frozen=True)
class Kind:
    """A served kind and its rules, as upstream's per-kind strategy; every hook is optional.

    name_rule: how metadata.name is validated (RFC 1123 subdomain; DNS label; RBAC's path segment).
    defaults(obj): fill defaults on every create and update (in place). prepare(obj, ips): on create only, after
    the defaults (in place). validate(obj, old): raise Invalid (old is None on create). normalise(obj): after
    every write (in place). omit_empty_status: status fields dropped when zero/empty (upstream's `omitempty`);
    required_status: status fields always present (0 by default). status_on_create: a create may set status
    (otherwise it starts empty). row(obj) with `columns`: the server-side table. field_selectors: fields beyond
    metadata.name/namespace a field selector may name; field_getters: how a field's value is read when it is not
    a plain path; field_aliases: a view's field names -> the stored kind's. view: (stored -> served, request body
    -> stored) for a kind that is a view of another (ResourceType.storage). answer(ctx, body): a virtual kind's
    POST (reviews) -> the response object. read(ctx, namespace, name): a virtual kind's GET/LIST -> objects.
    apply_order: where the local cluster applies a manifest of this kind (lower first; a namespace before what is
    in it).
    """

    resource: ResourceType
    name_rule: NameRule = "subdomain"
    defaults: Callable[[Obj], None] | None = None
    prepare: Callable[[Obj, IPAllocator], None] | None = None
    validate: Callable[[Obj, Obj | None], None] | None = None
    normalise: Callable[[Obj], None] | None = None
    omit_empty_status: tuple[str, ...] = ()
    required_status: tuple[str, ...] = ()
    status_on_create: bool = False
    columns: tuple[Column, ...] = ()
    row: Callable[[Obj], list[Any]] | None = None
    field_selectors: tuple[str, ...] = ()
    field_getters: Mapping[str, FieldGetter] = field(default_factory=dict)
    field_aliases: Mapping[str, str] = field(default_factory=dict)
    view: tuple[Callable[[Obj], Obj], Callable[[Obj], Obj]] | None = None
    answer: Callable[[Any, Obj], Obj] | None = None
    read: Callable[[Any, str | None, str | None], list[Obj]] | None = None
    apply_order: int = 9

    def parse_fields(self, text: str | None) -> list[FieldRequirement]:
        """A field selector as this kind's API spells fields, in the stored kind's field names (ValueError if a
        field is not selectable)."""
        rt = self.resource
        label = f"{rt.plural}.{rt.group}" if rt.storage and rt.group else rt.plural
        reqs = parse_field_selector(text, label, self.field_selectors)
        return [FieldRequirement(self.field_aliases.get(r.field, r.field), r.value, r.negate) for r in reqs]

    def matches_fields(self, reqs: list[FieldRequirement], obj: Mapping[str, Any]) -> bool:
        """True when the stored object satisfies every field requirement."""
        return matches_field_selector(reqs, obj, self.field_getters)


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
    for name in (*fields, "immutable"):
        if obj.get(name) != old.get(name):
            raise invalid(kind, obj, name,
                          "Forbidden: field is immutable when `immutable` is set")
