"""Kubernetes resource quantities as the HPA controller uses them: integer milli-units.

Upstream works on `Quantity.MilliValue()` (rounded up to a whole milli-unit) and reports metric values back with
`resource.NewMilliQuantity(v, DecimalSI).String()`. `parse_milli` and `format_milli` do the same for the
strings found in pod specs and HPA targets ("500m", "1", "1.5", "512Mi", "2Gi", "10k", "1e3").
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

__all__ = ["QuantityError", "format_milli", "parse_fraction", "parse_milli"]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": Fraction(1),
            "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
            "P": Fraction(10**15), "E": Fraction(10**18)}
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(.*)$")
_SUFFIXES = ((18, "E"), (15, "P"), (12, "T"), (9, "G"), (6, "M"), (3, "k"))


class QuantityError(ValueError):
    """A quantity string that Kubernetes would reject."""


def parse_fraction(value: str | int | float, field: str = "quantity") -> Fraction:
    """Exact value of a Kubernetes quantity (`"1.5"`, `"500m"`, `"2Gi"`, `"1e3"`, or a JSON number)."""
    if isinstance(value, bool):
        raise QuantityError(f"{field}: expected a quantity such as '500m' or '1', got {value!r}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise QuantityError(f"{field}: expected a finite quantity, got {value!r}")
        return Fraction(value)
    if not isinstance(value, str):
        raise QuantityError(f"{field}: expected a quantity such as '500m' or '1', got {value!r}")
    match = _NUMBER.match(value.strip())
    if match is None:
        raise QuantityError(f"{field}: {value!r} is not a quantity (examples: '500m', '1', '512Mi')")
    number, suffix = Fraction(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    exponent = re.fullmatch(r"[eE]([+-]?\d+)", suffix)
    if exponent is not None:
        return number * Fraction(10) ** int(exponent.group(1))
    raise QuantityError(f"{field}: unknown suffix {suffix!r} in quantity {value!r} (use m, k, M, G, Ki, Mi, Gi...)")


def parse_milli(value: str | int | float, field: str = "quantity") -> int:
    """`Quantity.MilliValue()`: the value in milli-units, rounded up (away from zero) like upstream."""
    milli = parse_fraction(value, field) * 1000
    return math.ceil(milli) if milli >= 0 else -math.ceil(-milli)


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
