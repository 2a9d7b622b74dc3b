"""Kubernetes resource quantities (`"500m"`, `"2"`, `"512Mi"`, `"1e3"`), exact, as upstream's `resource.Quantity`.

The one quantity parser of the local cluster (the scheduler's requests, the HPA's targets and metrics, the
exporters). Grammar: a signed decimal number followed by an optional binary suffix (Ki, Mi, Gi, Ti, Pi, Ei), decimal
suffix (n, u, m, "", k, M, G, T, P, E) or decimal exponent (`e3`, `E-2`). A JSON number is read from its decimal
text, as upstream's UnmarshalJSON does (0.1 is exactly a tenth, not the nearest binary float).

`parse_milli` is `Quantity.MilliValue()` and `quantity_value` is `Quantity.Value()`: both round up, away from zero
(upstream's `inf.RoundUp`). `format_milli` is `resource.NewMilliQuantity(v, DecimalSI).String()`. Bad input raises
`QuantityError` (a ValueError) naming the field.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

__all__ = ["QuantityError", "format_milli", "parse_milli", "parse_quantity", "quantity_value"]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": Fraction(1),
            "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
            "P": Fraction(10**15), "E": Fraction(10**18)}
_QUANTITY = re.compile(r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
                       r"(?:[eE](?P<exp>[+-]?\d+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$")
_SUFFIXES = ((18, "E"), (15, "P"), (12, "T"), (9, "G"), (6, "M"), (3, "k"))


class QuantityError(ValueError):
    """A quantity string that Kubernetes would reject."""


def parse_quantity(value: str | int | float, field: str = "quantity") -> Fraction:
    """Exact value of a quantity in base units (cores for cpu, bytes for memory)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise QuantityError(f"{field}: expected a quantity such as '500m' or '1', got {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(f"{field}: expected a finite quantity, got {value!r}")
        return Fraction(repr(value))
    match = _QUANTITY.match(value.strip())
    if match is None:
        raise QuantityError(f"{field}: cannot parse quantity {value!r} (expected a number with an optional suffix "
                            "such as m, k, M, G, Ki, Mi, Gi or e<exp>, e.g. '500m', '1', '512Mi')")
    number = Fraction(match.group("num"))
    if match.group("exp") is not None:
        return number * Fraction(10) ** int(match.group("exp"))
    suffix = match.group("suffix") or ""
    return number * (_BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix])


def _round_up(value: Fraction) -> int:
    """Round away from zero (upstream's inf.RoundUp)."""
    return math.ceil(value) if value >= 0 else -math.ceil(-value)


def parse_milli(value: str | int | float, field: str = "quantity") -> int:
    """`Quantity.MilliValue()`: the value in milli-units (millicores for cpu), rounded up."""
    return _round_up(parse_quantity(value, field) * 1000)


def quantity_value(value: str | int | float, field: str = "quantity") -> int:
    """`Quantity.Value()`: the value as a base-unit integer (bytes for memory), rounded up."""
    return _round_up(parse_quantity(value, field))


def format_milli(milli: int) -> str:
    """`resource.NewMilliQuantity(milli, resource.DecimalSI).String()`: canonical DecimalSI form."""
    if milli == 0:
        return "0"
    sign = "-" if milli < 0 else ""
    magnitude = abs(milli)
    if magnitude % 1000:
        return f"{sign}{magnitude}m"
    whole = magnitude // 1000
    for exponent, suffix in _SUFFIXES:
        if whole % 10**exponent == 0:
            return f"{sign}{whole // 10**exponent}{suffix}"
    return f"{sign}{whole}"
