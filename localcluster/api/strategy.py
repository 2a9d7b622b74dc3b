"""What the store applies on every write, for every kind: the generic rules (names, labels, annotations, empty
metadata maps omitted, status reset on create, the status fields a kind omits when empty or always shows) and the
hooks of the kind's module (`kinds/<plural>.py`: defaults, create-time preparation, validation, normalisation),
in the order upstream's registry calls a strategy's PrepareForCreate/Validate/Canonicalize.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from typing import Any

from ..selectors import validate_label_key, validate_label_value
from . import kinds
from .errors import Invalid
from .resources import ResourceType

__all__ = ["ServiceIPAllocator", "apply_defaults", "finish_write", "prepare_create", "validate"]

_NAME_RULES = {
    "subdomain": (re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"), 253),
    "dns-label": (re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), 63),
}


class ServiceIPAllocator:
    """Hands out ClusterIPs from a service CIDR (default 10.96.0.0/12), skipping ones in use."""

    def __init__(self, cidr: str = "10.96.0.0/12") -> None:
        self.network = ipaddress.ip_network(cidr)
        self._next = 1
        self._used: set[str] = set()
        self._lock = threading.Lock()

    def allocate(self) -> str:
        with self._lock:
            while True:
                ip = str(self.network[self._next])
                self._next = self._next + 1 if self._next + 2 < self.network.num_addresses else 1
                if ip not in self._used:
                    self._used.add(ip)
                    return ip

    def reserve(self, ip: str) -> None:
        with self._lock:
            self._used.add(ip)

    def release(self, ip: str) -> None:
        with self._lock:
            self._used.discard(ip)

    def dry(self) -> _DryAllocator:
        """An allocator for a dry run: answers the address a real create would get, reserves nothing."""
        return _DryAllocator(self)


class _DryAllocator:
    def __init__(self, real: ServiceIPAllocator) -> None:
        self.real = real

    def allocate(self) -> str:
        real = self.real
        with real._lock:
            index = real._next
            while str(real.network[index]) in real._used:
                index = index + 1 if index + 2 < real.network.num_addresses else 1
            return str(real.network[index])

    def reserve(self, ip: str) -> None:
        return None


def _invalid(rt: ResourceType, obj: dict[str, Any], field: str, message: str) -> Invalid:
    name = obj.get("metadata", {}).get("name") or obj.get("metadata", {}).get("generateName") or ""
    return Invalid.field(rt.kind, name, field, message, rt.group)


def _validate_name(rt: ResourceType, obj: dict[str, Any], name: object) -> None:
    if not isinstance(name, str) or not name:
        raise _invalid(rt, obj, "metadata.name", "Required value: name or generateName is required")
    rule = kinds.of(rt).name_rule
    if rule == "path-segment":  # RBAC names are path segments ("system:discovery")
        if name in (".", "..") or "/" in name or "%" in name:
            raise _invalid(rt, obj, "metadata.name", f"Invalid value: {name!r}: may not be '.' or '..' and may "
                           "not contain '/' or '%'")
        return
    pattern, limit = _NAME_RULES[rule]
    if len(name) > limit or not pattern.match(name):
        raise _invalid(
            rt, obj, "metadata.name", f"Invalid value: {name!r}: must be a lowercase RFC 1123 name (max {limit})"
        )


def validate(rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None = None) -> None:
    """Raise Invalid (422) for what upstream rejects and clients depend on: names, labels, annotations, and the
    kind's own rules (`old` is the stored object on update, None on create)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(rt, {}, "metadata", "Required value")
    _validate_name(rt, obj, meta.get("name"))
    for field in ("labels", "annotations"):
        values = meta.get(field) or {}
        if not isinstance(values, dict):
            raise _invalid(rt, obj, f"metadata.{field}", "must be a map of strings")
        for key, value in values.items():
            try:
                validate_label_key(key)
                if field == "labels":
                    validate_label_value(value)
                elif not isinstance(value, str):
                    raise ValueError(f"annotation {key!r} must be a string, got {type(value).__name__}")
            except ValueError as exc:
                raise _invalid(rt, obj, f"metadata.{field}", str(exc)) from None
    kind = kinds.of(rt)
    if kind.validate is not None:
        kind.validate(obj, old)


def prepare_create(
    rt: ResourceType, obj: dict[str, Any], reset_status: bool, ips: ServiceIPAllocator | _DryAllocator
) -> None:
    """Defaults and the status a freshly created object starts with (in place)."""
    kind = kinds.of(rt)
    if reset_status and rt.has_status and not kind.status_on_create:
        obj["status"] = {}
    apply_defaults(rt, obj)
    if kind.prepare is not None:
        kind.prepare(obj, ips)


def apply_defaults(rt: ResourceType, obj: dict[str, Any]) -> None:
    """The kind's defaulting, applied to every create and update as upstream's decoding does."""
    kind = kinds.of(rt)
    if kind.defaults is not None:
        kind.defaults(obj)


def finish_write(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Normalise after every write (in place): the kind's normalisation, empty metadata maps omitted, the status
    fields the kind omits when empty or always shows."""
    kind = kinds.of(rt)
    if kind.normalise is not None:
        kind.normalise(obj)
    meta = obj["metadata"]
    for field in ("labels", "annotations", "finalizers"):  # empty = absent, as upstream's omitempty
        if field in meta and not meta[field]:
            del meta[field]
    if kind.omit_empty_status or kind.required_status:
        obj.setdefault("spec", {})
        status = obj.setdefault("status", {})
        for field in kind.omit_empty_status:
            if field in status and status[field] in (0, [], {}, None, "") and status[field] is not False:
                del status[field]
        for field in kind.required_status:
            status.setdefault(field, 0)
