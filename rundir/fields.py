"""Field checkers shared by every parser of the suite's YAML/JSON configuration (profiles and their thresholds).

Each returns the typed value or raises :class:`ProfileError` with ``"<source>: <field path>: <what is wrong>,
got <value>"``, e.g. ``profiles/step.yaml: stages[1].users: must be a positive integer, got -3``. Durations
accept seconds (``30``, ``2.5``) or strings such as ``"30s"``, ``"2m"``, ``"1h"``, ``"1m30s"``, ``"500ms"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, NoReturn

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$")


class ProfileError(ValueError):
    """A profile file or value is invalid; the message names the file and the field path."""


def fail(src: str, path: str, problem: str, got: Any) -> NoReturn:
    raise ProfileError(f"{src}: {path}: {problem}, got {got!r}")


def mapping(raw: Any, src: str, path: str, allowed: tuple[str, ...] | None,
            required: tuple[str, ...] = ()) -> dict[str, Any]:
    """``raw`` as a dict (None = empty); every key must be in ``allowed`` (None: any key)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        fail(src, path, "must be a mapping", raw)
    for key in raw:
        if allowed is not None and key not in allowed:
            where = key if path == "(top level)" else f"{path}.{key}"
            fail(src, where, f"unknown key; allowed keys are {list(allowed)}", raw[key])
    for key in required:
        if key not in raw:
            fail(src, f"{path}.{key}", "is required", None)
    return dict(raw)


def text(raw: Any, src: str, path: str, allow_empty: bool = False) -> str:
    if not isinstance(raw, str) or (not allow_empty and not raw.strip()):
        fail(src, path, "must be a non-empty string" if not allow_empty else "must be a string", raw)
    return raw


def choice(raw: Any, src: str, path: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        fail(src, path, f"must be one of {list(choices)}", raw)
    return str(raw)


def integer(raw: Any, src: str, path: str, low: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < low:
        fail(src, path, "must be a positive integer" if low > 0 else "must be a non-negative integer", raw)
    return raw


def number(raw: Any, src: str, path: str, *, positive: bool = False, upper: float | None = None,
           hint: str = "", percent: bool = False) -> float:
    """A finite number (> 0 when ``positive``, else >= 0; at most ``upper``); ``percent`` also takes "2%"."""
    if percent and isinstance(raw, str) and raw.strip().endswith("%"):
        try:
            raw = float(raw.strip()[:-1]) / 100.0
        except ValueError:
            fail(src, path, "is not a percentage", raw)
    ok = not isinstance(raw, bool) and isinstance(raw, int | float) and math.isfinite(raw)
    ok = ok and (raw > 0 if positive else raw >= 0) and (upper is None or raw <= upper)
    if not ok:
        what = "a positive number" if positive else "a non-negative number"
        what += f" no greater than {upper:g}" if upper is not None else ""
        fail(src, path, f"must be {what}" + (f" ({hint})" if hint else ""), raw)
    return float(raw)


def duration(raw: Any, src: str, path: str) -> float:
    """Seconds (> 0) from a number or a duration string."""
    seconds: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        seconds = float(raw)
    elif isinstance(raw, str) and raw.strip():
        stripped = raw.strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", stripped):
            seconds = float(stripped)
        elif (match := _DURATION.fullmatch(stripped)) is not None:
            h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
            seconds = h * 3600 + m * 60 + s + ms / 1000
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        fail(src, path, 'must be a positive duration such as 30, "30s", "2m", "1h" or "1m30s"', raw)
    return seconds
