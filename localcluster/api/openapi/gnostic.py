"""/openapi/v2 in the protobuf encoding kubectl asks for (`application/com.github.proto-openapi.spec.v2@v1.0
+protobuf`, the `openapi.v2.Document` message of google/gnostic-models), encoded from the same JSON document
/openapi/v2 serves. Only the parts of Swagger 2.0 that document uses are encoded; vendor extensions carry
their values as YAML text (JSON is YAML), as gnostic does."""

from __future__ import annotations

import functools
import json
import struct
from typing import Any

from .document import v2_document

__all__ = ["v2_protobuf"]


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _len(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _str(number: int, text: str) -> bytes:
    return _len(number, text.encode()) if text else b""


def _bool(number: int, value: bool) -> bytes:
    return _varint(number << 3) + b"\x01" if value else b""


def _named_any(name: str, value: Any) -> bytes:
    return _str(1, name) + _len(2, _str(2, json.dumps(value, sort_keys=True) + "\n"))


def _extensions(number: int, node: dict[str, Any]) -> bytes:
    return b"".join(_len(number, _named_any(k, v)) for k, v in sorted(node.items()) if k.startswith("x-"))


def _schema(node: dict[str, Any]) -> bytes:
    out = [_str(1, node.get("$ref", "")), _str(2, node.get("format", "")), _str(4, node.get("description", ""))]
    if "maximum" in node:
        out.append(_varint(7 << 3 | 1) + struct.pack("<d", float(node["maximum"])))
    out.extend(_str(19, r) for r in node.get("required") or ())
    out.extend(_len(20, _str(2, json.dumps(v) + "\n")) for v in node.get("enum") or ())
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out.append(_len(21, _len(1, _schema(extra))))
    elif isinstance(extra, bool):
        out.append(_len(21, _bool(2, extra) or _varint(2 << 3) + b"\x00"))
    if node.get("type"):
        out.append(_len(22, _str(1, node["type"])))
    if isinstance(node.get("items"), dict):
        out.append(_len(23, _len(1, _schema(node["items"]))))
    out.extend(_len(24, _schema(s)) for s in node.get("allOf") or ())
    props = node.get("properties")
    if isinstance(props, dict):
        named = b"".join(_len(1, _str(1, k) + _len(2, _schema(v))) for k, v in props.items())
        out.append(_len(25, named))
    out.append(_extensions(31, node))
    return b"".join(out)


def _parameter(param: dict[str, Any]) -> bytes:
    if param.get("in") == "body":
        body = (_str(1, param.get("description", "")) + _str(2, param["name"]) + _str(3, "body")
                + _bool(4, bool(param.get("required"))) + _len(5, _schema(param.get("schema") or {})))
        return _len(1, _len(1, body))
    common = _bool(1, bool(param.get("required"))) + _str(2, param["in"]) + _str(3, param.get("description", ""))
    common += _str(4, param["name"])
    if param["in"] == "path":
        sub = _len(4, common + _str(5, param.get("type", "")) + _bool(19, bool(param.get("uniqueItems"))))
    else:
        sub = _len(3, common + _str(6, param.get("type", "")) + _bool(20, bool(param.get("uniqueItems"))))
    return _len(1, _len(2, sub))


def _operation(op: dict[str, Any]) -> bytes:
    out = [_str(3, op.get("description", "")), _str(5, op.get("operationId", ""))]
    out.extend(_str(6, p) for p in op.get("produces") or ())
    out.extend(_str(7, c) for c in op.get("consumes") or ())
    out.extend(_len(8, _parameter(p)) for p in op.get("parameters") or ())
    codes = []
    for code, resp in sorted((op.get("responses") or {}).items()):
        response = _str(1, resp.get("description", ""))
        if resp.get("schema"):
            response += _len(2, _len(1, _schema(resp["schema"])))
        codes.append(_len(1, _str(1, code) + _len(2, _len(1, response))))
    out.append(_len(9, b"".join(codes)))
    out.extend(_str(10, s) for s in op.get("schemes") or ())
    out.append(_extensions(13, op))
    return b"".join(out)


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


@functools.cache
def v2_protobuf() -> bytes:
    """The openapi.v2.Document message of /openapi/v2."""
    doc = json.loads(v2_document())
    info = doc.get("info") or {}
    out = [_str(1, doc["swagger"]), _len(2, _str(1, info.get("title", "")) + _str(2, info.get("version", "")))]
    items = []
    for path, item in doc["paths"].items():
        body = b"".join(_len(number, _operation(item[method])) for method, number in _METHODS.items() if method in item)
        body += b"".join(_len(9, _parameter(p)) for p in item.get("parameters") or ())
        items.append(_len(2, _str(1, path) + _len(2, body)))
    out.append(_len(8, b"".join(items)))
    named = b"".join(_len(1, _str(1, name) + _len(2, _schema(schema))) for name, schema in doc["definitions"].items())
    out.append(_len(9, named))
    return b"".join(out)
