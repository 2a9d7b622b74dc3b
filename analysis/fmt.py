"""Human formatting of measured values for sentences and tables."""

from __future__ import annotations

import math


def seconds(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if abs(value) < 1.0:
        return f"{value * 1000:.1f} ms"
    return f"{value:.3f} s" if abs(value) < 100 else f"{value:.1f} s"


def fraction(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value * 100:.3f} %"


def count(value: float | int) -> str:
    return f"{int(value):,}"


def value(measured: float | None, unit: str) -> str:
    """Format by unit: s -> ms/s, fraction -> %, % -> percent, streams -> count, else plain."""
    if measured is None or (isinstance(measured, float) and not math.isfinite(measured)):
        return "n/a"
    if unit == "s":
        return seconds(measured)
    if unit == "fraction":
        return fraction(measured)
    if unit == "%":
        return f"{measured:.1f} %"
    if unit == "streams":
        return count(measured)
    return f"{measured:g} {unit}".strip()


def offset(value: float | None) -> str:
    """A time relative to the run start, e.g. +12.5 s."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"+{value:.1f} s" if value >= 0 else f"{value:.1f} s"


def verdict(value: str) -> str:
    """A verdict as reports show it: `dry-run` -> `DRY RUN`, `pass` -> `PASS`."""
    return value.replace("-", " ").upper()
