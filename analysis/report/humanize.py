"""Values as a person reads them: "347 ms", "1.14 s", "2 min 5 s", "0.42 %", "3 s" (not "3.000 s").

The verdict tables of analysis/fmt.py keep their fixed precision (the CLI and junit use them); the report's cards
and folded tables use these shorter forms. A check's own value is never changed, only how it is written.
"""

from __future__ import annotations

import math

from analysis.checks import CheckResult


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _sig(value: float, digits: int = 3) -> str:
    """At most `digits` significant digits, no trailing zeros: 1.14, 45.2, 347, 3."""
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def duration(value: float | None) -> str:
    if not _finite(value):
        return "n/a"
    assert value is not None
    magnitude = abs(value)
    if magnitude == 0:
        return "0 s"
    if magnitude < 1:
        return f"{_sig(value * 1000)} ms"
    if magnitude < 120:
        return f"{_sig(value)} s"
    minutes, secs = divmod(round(magnitude), 60)
    hours, minutes = divmod(minutes, 60)
    sign = "-" if value < 0 else ""
    if hours:
        return f"{sign}{hours} h {minutes} min"
    return f"{sign}{minutes} min {secs} s" if secs else f"{sign}{minutes} min"


def offset(value: float | None) -> str:
    """A time since the run start: "+78.2 s", "+139 s", "+2 h 05 min 10 s" (seconds up to 10,000 s)."""
    if not _finite(value):
        return "n/a"
    assert value is not None
    if abs(value) < 10_000:
        return f"{value:+.1f} s" if abs(value) < 100 else f"{value:+.0f} s"
    minutes, secs = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"+{hours} h {minutes:02d} min {secs:02d} s"


def span(window: tuple[float, float] | None) -> str:
    return f"{offset(window[0])} .. {offset(window[1])}" if window else ""


def percent(fraction: float | None) -> str:
    if not _finite(fraction):
        return "n/a"
    assert fraction is not None
    return "0 %" if fraction == 0 else f"{_sig(fraction * 100, 2 if fraction < 0.01 else 3)} %"


def number(value: float | None) -> str:
    if not _finite(value):
        return "n/a"
    assert value is not None
    return f"{int(value):,}" if float(value).is_integer() else _sig(value)


def value(measured: float | None, unit: str) -> str:
    """A measured value or threshold with its unit, e.g. "347 ms", "0.42 %", "3 replicas", "0 streams"."""
    if not _finite(measured):
        return "n/a"
    if unit == "s":
        return duration(measured)
    if unit == "fraction":
        return percent(measured)
    if unit == "%":
        return f"{_sig(float(measured or 0))} %"
    return f"{number(measured)} {unit}".strip()


def recovery(check: CheckResult, window_s: float) -> str:
    """When the SLOs came back after a fault, in words: the measured value is the start of the first window (from the
    fault's end) whose streams met the SLOs again."""
    if check.verdict == "skipped":
        return "not judged"
    if not _finite(check.measured):
        return "not back before the run ended"
    start = float(check.measured or 0)
    if start == 0:
        return f"back within the first {duration(window_s)} window after the fault"
    return f"back in the {duration(window_s)} window starting {duration(start)} after the fault"


def measured_of_threshold(check: CheckResult) -> str:
    """"347 ms (threshold 2 s)", or just the value when the check has no threshold."""
    shown = value(check.measured, check.unit)
    if check.threshold is None or not _finite(check.threshold):
        return shown
    return f"{shown} (threshold {value(check.threshold, check.unit)})"
