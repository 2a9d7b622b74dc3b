"""SLO and validity thresholds from the profile recorded in manifest.json, parsed once into typed objects.

profile.slos (all optional; time values in seconds, or strings like "200ms" / "1.5s"; null disables a default):
  error_rate                      max fraction of non-ok streams (default 0.01; "1%" accepted)
  ttft_p50 ttft_p95 ttft_p99      TTFT percentiles
  itl_p99 tpot_p99                pooled ITL / per-stream TPOT percentile
  e2e_p95 e2e_p99                 E2E percentiles (default e2e_p99 10 s)
  per_endpoint: {endpoint: {same keys}}   overrides for the streams of one endpoint
profile.validity (all optional):
  max_cpu_percent 90   max_dispatch_lag_p99 0.1 (s)   max_dropped_fraction 0.01   (the same defaults as
  loadtests/profiles.py, which records all three in the manifest)
  saturation_window_s 5   CPU is judged as its mean over this many seconds (a sustained window, not one sample)
Unknown keys are an error naming the key, so a typo never silently drops an SLO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from analysis.rundir import RunDirError

# key -> (metric, percentile column or None, unit)
SLO_KEYS: dict[str, tuple[str, str | None, str]] = {
    "error_rate": ("error_rate", None, "fraction"),
    "ttft_p50": ("ttft", "p50", "s"),
    "ttft_p95": ("ttft", "p95", "s"),
    "ttft_p99": ("ttft", "p99", "s"),
    "itl_p99": ("itl", "p99", "s"),
    "tpot_p99": ("tpot", "p99", "s"),
    "e2e_p95": ("e2e", "p95", "s"),
    "e2e_p99": ("e2e", "p99", "s"),
}
DEFAULT_SLOS: dict[str, float] = {"error_rate": 0.01, "e2e_p99": 10.0}
VALIDITY_DEFAULTS: dict[str, float] = {
    "max_cpu_percent": 90.0,
    "max_dispatch_lag_p99": 0.1,
    "max_dropped_fraction": 0.01,
    "saturation_window_s": 5.0,
}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ms|s)?\s*$")
SOURCE = "manifest.json profile"


class ProfileError(RunDirError):
    """The profile recorded in manifest.json has an unknown key or an unusable threshold."""


@dataclass(frozen=True)
class SloConfig:
    thresholds: dict[str, float]
    per_endpoint: dict[str, dict[str, float]] = field(default_factory=dict)

    def for_endpoint(self, endpoint: str) -> dict[str, float]:
        """The thresholds that apply to one endpoint's streams (global ones with its overrides)."""
        return {**self.thresholds, **self.per_endpoint.get(endpoint, {})}


@dataclass(frozen=True)
class ValidityConfig:
    max_cpu_percent: float = VALIDITY_DEFAULTS["max_cpu_percent"]
    max_dispatch_lag_p99: float = VALIDITY_DEFAULTS["max_dispatch_lag_p99"]
    max_dropped_fraction: float = VALIDITY_DEFAULTS["max_dropped_fraction"]
    saturation_window_s: float = VALIDITY_DEFAULTS["saturation_window_s"]


def _threshold(key: str, value: Any, where: str) -> float:
    unit = SLO_KEYS[key][2] if key in SLO_KEYS else ""
    if isinstance(value, bool):
        raise ProfileError(f"{SOURCE}: {where}.{key} must be a number, got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and unit == "fraction" and value.strip().endswith("%"):
        number = _number(value.strip()[:-1], key, where) / 100.0
    elif isinstance(value, str) and unit == "s" and (match := _DURATION.match(value)):
        number = float(match.group(1)) / (1000.0 if match.group(2) == "ms" else 1.0)
    else:
        raise ProfileError(
            f"{SOURCE}: {where}.{key} = {value!r} is not a threshold; use a number"
            + (" of seconds or a string like '200ms'" if unit == "s" else "")
        )
    if number < 0:
        raise ProfileError(f"{SOURCE}: {where}.{key} must not be negative, got {value!r}")
    return number


def _number(text: str, key: str, where: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise ProfileError(f"{SOURCE}: {where}.{key} = {text!r}% is not a percentage") from exc


def _thresholds(raw: dict[str, Any], where: str, defaults: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(raw) - set(SLO_KEYS))
    if unknown:
        raise ProfileError(f"{SOURCE}: unknown key(s) {unknown} in {where}; known keys: {sorted(SLO_KEYS)}")
    merged: dict[str, Any] = {**defaults, **raw}
    return {k: _threshold(k, v, where) for k, v in merged.items() if v is not None}


def parse_slos(profile: dict[str, Any]) -> SloConfig:
    raw = profile.get("slos") or {}
    if not isinstance(raw, dict):
        raise ProfileError(f"{SOURCE}: 'slos' must be a mapping of SLO keys to thresholds")
    raw = dict(raw)
    per_endpoint_raw = raw.pop("per_endpoint", None) or {}
    if not isinstance(per_endpoint_raw, dict):
        raise ProfileError(f"{SOURCE}: slos.per_endpoint must map endpoint names to SLO mappings")
    thresholds = _thresholds(raw, "slos", DEFAULT_SLOS)
    per_endpoint: dict[str, dict[str, float]] = {}
    for endpoint, overrides in per_endpoint_raw.items():
        where = f"slos.per_endpoint.{endpoint}"
        if not isinstance(overrides, dict):
            raise ProfileError(f"{SOURCE}: {where} must be a mapping of SLO keys to thresholds")
        per_endpoint[str(endpoint)] = _thresholds(overrides, where, {})
    return SloConfig(thresholds, per_endpoint)


def parse_validity(profile: dict[str, Any]) -> ValidityConfig:
    raw = profile.get("validity") or {}
    if not isinstance(raw, dict):
        raise ProfileError(f"{SOURCE}: 'validity' must be a mapping")
    unknown = sorted(set(raw) - set(VALIDITY_DEFAULTS))
    if unknown:
        raise ProfileError(f"{SOURCE}: unknown key(s) {unknown} in validity; known: {sorted(VALIDITY_DEFAULTS)}")
    values = {}
    for key, value in raw.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ProfileError(f"{SOURCE}: validity.{key} must be a non-negative number, got {value!r}")
        values[key] = float(value)
    return ValidityConfig(**values)
