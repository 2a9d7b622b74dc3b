"""Kubernetes resource quantities (`"500m"`, `"2"`, `"512Mi"`, `"1e3"`) as exact integers.

Same grammar as upstream's `resource.Quantity`: a signed decimal number followed by an optional binary suffix
(Ki, Mi, Gi, Ti, Pi, Ei), decimal suffix (n, u, m, "", k, M, G, T, P, E) or decimal exponent (`e3`, `E-2`).
`cpu_millis` gives millicores and `quantity_value` gives the base-unit integer (bytes for memory), both
rounded up like upstream's `MilliValue()` / `Value()`. Bad input raises `ValueError` naming the field.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation, localcontext

__all__ = ["cpu_millis", "memory_bytes", "parse_quantity", "quantity_value"]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_RE = re.compile(
    r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<exp>[eE][+-]?\d+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$"
)


def parse_quantity(value: str | int | float, field: str = "quantity") -> Decimal:
    """Parse a quantity into an exact Decimal in base units (cores for cpu, bytes for memory)."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: {value!r} is not a quantity (use e.g. '500m', '2', '512Mi')")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{field}: {value!r} is not a finite quantity")
        return Decimal(repr(value))
    if not isinstance(value, str):
        raise ValueError(f"{field}: {value!r} is not a quantity (use e.g. '500m', '2', '512Mi')")
    match = _RE.match(value.strip())
    if match is None:
        raise ValueError(
            f"{field}: cannot parse quantity {value!r} "
            "(expected a number with an optional suffix such as m, k, M, G, Ki, Mi, Gi or e<exp>)"
        )
    with localcontext() as ctx:
        ctx.prec = 60
        try:
            number = Decimal(match.group("num"))
        except InvalidOperation as err:  # pragma: no cover - the regex already guarantees a number
            raise ValueError(f"{field}: cannot parse quantity {value!r}") from err
        if match.group("exp"):
            return number * (Decimal(10) ** int(match.group("exp")[1:]))
        suffix = match.group("suffix") or ""
        if suffix in _BINARY:
            return number * _BINARY[suffix]
        return number * _DECIMAL[suffix]


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding="ROUND_CEILING"))


def cpu_millis(value: str | int | float, field: str = "cpu") -> int:
    """CPU quantity in millicores, rounded up (`"500m"` -> 500, `"2"` -> 2000, `"0.1"` -> 100)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return _ceil(parse_quantity(value, field) * 1000)


def quantity_value(value: str | int | float, field: str = "quantity") -> int:
    """Quantity as a base-unit integer, rounded up (`"512Mi"` -> 536870912, `"110"` -> 110)."""
    return _ceil(parse_quantity(value, field))


def memory_bytes(value: str | int | float, field: str = "memory") -> int:
    """Memory quantity in bytes, rounded up (`"8Gi"` -> 8589934592, `"1k"` -> 1000)."""
    return quantity_value(value, field)
