"""Kubernetes protobuf request bodies -> JSON-shaped objects.

The envelope is `k8s\\x00` + a runtime.Unknown message {1: typeMeta {1: apiVersion, 2: kind}, 2: raw,
3: contentEncoding, 4: contentType}; `raw` is the object's own message. Field numbers come from
protobuf_fields.FIELDS, field types from the OpenAPI definitions, and a few apimachinery types have their
own wire shapes: Time/MicroTime {seconds, nanos}, Quantity {string}, IntOrString {type, intVal, strVal},
RawExtension and FieldsV1 {raw JSON}. Errors are 400s naming the message and field, never the values.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from typing import Any

from .errors import BadRequest, UnsupportedMediaType
from .openapi.definitions import definition_for, definitions, ref_name
from .protobuf_fields import FIELDS
from .resource_type import ResourceType

__all__ = ["MAGIC", "decode_message", "decode_object", "read_fields"]

MAGIC = b"k8s\x00"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_TIME, _MICRO = _META + "Time", _META + "MicroTime"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_INTSTR = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_RAW = ("io.k8s.apimachinery.pkg.runtime.RawExtension", _META + "FieldsV1")
Field = tuple[int, int, Any]  # (number, wire type, int or bytes)


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise BadRequest("protobuf body is truncated (varint)")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise BadRequest("protobuf body has a malformed varint")


def read_fields(buf: bytes) -> list[Field]:
    """The (number, wire type, value) of each field of one message, in order."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
            if pos > len(buf):
                raise BadRequest("protobuf body is truncated (length-delimited field)")
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise BadRequest(f"protobuf body has unsupported wire type {wire} (field {number})")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, bytes):
        raise BadRequest(f"protobuf field {where} should be a string")
    return value.decode("utf-8", errors="replace")


def _special(name: str, buf: bytes) -> Any:
    fields = {n: v for n, _, v in read_fields(buf)}
    if name in (_TIME, _MICRO):
        if not buf:  # Go marshals a zero Time as an empty message
            return None
        seconds, nanos = _signed(int(fields.get(1, 0))), int(fields.get(2, 0))
        if seconds <= -62135596800:  # Go's zero time: unset
            return None
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        return f"{stamp}.{nanos // 1000:06d}Z" if name == _MICRO else f"{stamp}Z"
    if name == _QUANTITY:
        return _text(fields.get(1, b""), "Quantity.string")
    if name == _INTSTR:
        return _text(fields.get(3, b""), "IntOrString.strVal") if fields.get(1) == 1 else _signed(fields.get(2, 0))
    raw = fields.get(1, b"")
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        raise BadRequest(f"protobuf {name.rsplit('.', 1)[-1]} does not hold JSON") from None


def _scalar(schema: dict[str, Any], wire: int, value: Any, where: str) -> Any:
    kind = schema.get("type")
    if kind == "string" or schema.get("format") == "int-or-string":
        if schema.get("format") == "byte":
            return base64.b64encode(value).decode()
        return _text(value, where)
    if kind == "integer":
        return _signed(int(value))
    if kind == "boolean":
        return bool(value)
    if kind == "number":
        return struct.unpack("<d", value)[0] if wire == 1 else float(value)
    raise BadRequest(f"protobuf field {where} has a type the local cluster cannot decode")


def _value(schema: dict[str, Any], wire: int, value: Any, where: str) -> Any:
    target = ref_name(schema)
    if target is not None:
        return decode_message(value, target)
    return _scalar(schema, wire, value, where)


def _unpacked(schema: dict[str, Any], wire: int, value: Any) -> list[tuple[int, Any]]:
    """A repeated scalar may arrive packed (one length-delimited run of varints)."""
    if wire == 2 and schema.get("type") in ("integer", "boolean"):
        out, pos = [], 0
        while pos < len(value):
            item, pos = _varint(value, pos)
            out.append((0, item))
        return out
    return [(wire, value)]


def decode_message(buf: bytes, name: str) -> Any:
    """One message (definition `name`) -> JSON-shaped value."""
    if name in (_TIME, _MICRO, _QUANTITY, _INTSTR, *_RAW):
        return _special(name, buf)
    layout = FIELDS.get(name)
    if layout is None:
        raise BadRequest(f"protobuf message {name.rsplit('.', 1)[-1]} is not understood by the local cluster: "
                         "send this object as JSON")
    names = layout.split()
    props = definitions()[name].get("properties") or {}
    out: dict[str, Any] = {}
    for number, wire, value in read_fields(buf):
        label = names[number - 1] if 0 < number <= len(names) else "-"
        field, keep = label.rstrip("*"), label.endswith("*")
        where = f"{name.rsplit('.', 1)[-1]}.{field}"
        schema = props.get(field)
        if schema is None:
            if value in (0, b""):
                continue
            raise BadRequest(f"protobuf field {number} of {name.rsplit('.', 1)[-1]} is not understood by the "
                             "local cluster: send this object as JSON")
        if schema.get("type") == "array":
            items = schema.get("items") or {}
            for item_wire, item in _unpacked(items, wire, value):
                out.setdefault(field, []).append(_value(items, item_wire, item, where))
        elif schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
            entry = {n: v for n, _, v in read_fields(value)}
            key = _text(entry.get(1, b""), where)
            extra = schema["additionalProperties"]
            inner = entry.get(2, b"" if ref_name(extra) or extra.get("type") == "string" else 0)
            out.setdefault(field, {})[key] = _value(extra, 2 if isinstance(inner, bytes) else 0, inner, where)
        else:
            decoded = _value(schema, wire, value, where)
            if decoded in (None, "", {}, []) or (decoded in (0, False) and not keep and decoded is not True):
                continue
            out[field] = decoded
    return out


def decode_object(data: bytes, rt: ResourceType | None) -> dict[str, Any]:
    """A whole request body (`k8s\\x00` envelope) -> the object, with apiVersion and kind."""
    if not data.startswith(MAGIC):
        raise BadRequest("a protobuf body must start with the k8s\\x00 prefix")
    envelope = {n: v for n, _, v in read_fields(data[len(MAGIC):])}
    if envelope.get(3):
        raise UnsupportedMediaType("protobuf bodies with a contentEncoding are not supported; send identity")
    meta = {n: v for n, _, v in read_fields(envelope.get(1, b""))}
    api_version, kind = _text(meta.get(1, b""), "apiVersion"), _text(meta.get(2, b""), "kind")
    group, _, version = api_version.rpartition("/")
    if not kind and rt is not None:
        group, version, kind, api_version = rt.group, rt.version, rt.kind, rt.api_version
    name = _META + "DeleteOptions" if kind == "DeleteOptions" else definition_for(group, version, kind) or ""
    if not name:
        raise BadRequest(f"protobuf body of kind {api_version}/{kind} is not understood by the local cluster")
    obj = decode_message(envelope.get(2, b""), name)
    obj["apiVersion"], obj["kind"] = api_version, kind
    return obj
