"""The thresholds of a profile, typed, with one parser: SLOs, load-generator validity, cluster-check settings.

The load plane parses them from a profile file (``loadtests/profiles.py``) and records them in
``manifest.json``; the verdict pipeline parses them back from there with the same functions. Each section is
optional; unknown keys are errors naming the key, so a typo never silently drops a threshold.

``slos`` (time values in seconds or strings like ``"200ms"``, ``"1.5s"``; ``null`` disables a default)::

  error_rate                      max fraction of non-ok streams (default 0.01; "1%" accepted)
  ttft_p50 ttft_p95 ttft_p99      TTFT percentiles
  itl_p99 tpot_p99                pooled ITL / per-stream TPOT percentile
  e2e_p95 e2e_p99                 E2E percentiles (default e2e_p99 10 s)
  per_endpoint: {endpoint: {same keys}}   overrides for the streams of one endpoint

``validity``: ``max_cpu_percent`` 90, ``max_dispatch_lag_p99`` 0.1 s, ``max_dropped_fraction`` 0.01,
``saturation_window_s`` 5 (CPU is judged as its mean over this window, not one sample).

``cluster_checks`` (seconds, non-negative)::

  max_recovery_s 60        a fault's SLO recovery must come within this many seconds of the mark's end
  recovery_window_s 60     streams scheduled this long after a mark's end belong to the "recovery" phase
  endpoint_grace_s 2       propagation delay allowed between leaving the ready endpoints and the last request
  hpa_sync_period_s 15     the HPA controller's sync period (upstream default; the target may say otherwise)
  unschedulable_grace_s 30 a pod Pending as unschedulable for longer is a capacity finding
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rundir import fields
from rundir.fields import ProfileError

__all__ = ["SLO_KEYS", "ClusterChecks", "ProfileError", "SloSet", "Slos", "Thresholds", "Validity",
           "parse_cluster_checks", "parse_slos", "parse_thresholds", "parse_validity"]

# SLO key -> (metric, percentile column or None, unit)
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


@dataclass(frozen=True)
class SloSet:
    """Thresholds (seconds, or a fraction for error_rate); None means not checked."""

    error_rate: float | None = None
    ttft_p50: float | None = None
    ttft_p95: float | None = None
    ttft_p99: float | None = None
    itl_p99: float | None = None
    tpot_p99: float | None = None
    e2e_p95: float | None = None
    e2e_p99: float | None = None

    def given(self) -> dict[str, float]:
        """The thresholds that are checked, by key."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


DEFAULT_SLOS = SloSet(error_rate=0.01, e2e_p99=10.0)


@dataclass(frozen=True)
class Slos:
    """Run-wide SLOs plus optional per-endpoint ones (only the keys given there)."""

    overall: SloSet = DEFAULT_SLOS
    per_endpoint: Mapping[str, SloSet] = dataclasses.field(default_factory=dict)

    @property
    def thresholds(self) -> dict[str, float]:
        """The run-wide thresholds that are checked, by key."""
        return self.overall.given()

    @property
    def endpoint_thresholds(self) -> dict[str, dict[str, float]]:
        """Per endpoint, the keys it overrides."""
        return {name: slo.given() for name, slo in self.per_endpoint.items()}

    def for_endpoint(self, endpoint: str) -> dict[str, float]:
        """The thresholds that apply to one endpoint's streams (the run-wide ones with its overrides)."""
        own = self.per_endpoint.get(endpoint)
        return {**self.thresholds, **(own.given() if own else {})}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able; a default that was switched off is kept as null so it stays off when parsed back."""
        off = {k: None for k, v in DEFAULT_SLOS.given().items() if getattr(self.overall, k) is None}
        return {**self.overall.given(), **off,
                "per_endpoint": {name: slo.given() for name, slo in self.per_endpoint.items()}}


@dataclass(frozen=True)
class Validity:
    """When the load generator's own numbers make a run INVALID (never pass or fail)."""

    max_cpu_percent: float = 90.0
    max_dispatch_lag_p99: float = 0.1
    max_dropped_fraction: float = 0.01
    saturation_window_s: float = 5.0  # CPU is judged as its mean over this window


@dataclass(frozen=True)
class ClusterChecks:
    """Settings of the cluster checks (seconds)."""

    max_recovery_s: float = 60.0
    recovery_window_s: float = 60.0
    endpoint_grace_s: float = 2.0
    hpa_sync_period_s: float = 15.0
    unschedulable_grace_s: float = 30.0


@dataclass(frozen=True)
class Thresholds:
    """Everything of a profile the verdict pipeline judges with."""

    slos: Slos = Slos()
    validity: Validity = Validity()
    cluster_checks: ClusterChecks = ClusterChecks()

    def to_dict(self) -> dict[str, Any]:
        return {"slos": self.slos.to_dict(), "validity": dataclasses.asdict(self.validity),
                "cluster_checks": dataclasses.asdict(self.cluster_checks)}


def _slo_set(data: dict[str, Any], src: str, path: str) -> SloSet:
    out: dict[str, float | None] = {}
    for key, value in data.items():
        if value is None:
            out[key] = None
        elif SLO_KEYS[key][2] == "fraction":
            out[key] = fields.number(value, src, f"{path}.{key}", upper=1.0, percent=True)
        else:
            out[key] = fields.duration(value, src, f"{path}.{key}")
    return SloSet(**out)


def parse_slos(raw: Any, src: str, endpoints: tuple[str, ...] | None = None) -> Slos:
    """The ``slos`` section; ``endpoints`` limits the names of ``per_endpoint`` (None: any name, as a reader of
    another run's manifest must accept)."""
    top = fields.mapping(raw, src, "slos", (*SLO_KEYS, "per_endpoint"))
    per_raw = fields.mapping(top.pop("per_endpoint", {}), src, "slos.per_endpoint", endpoints)
    overall = _slo_set({**DEFAULT_SLOS.given(), **top}, src, "slos")
    per = {
        str(endpoint): _slo_set(fields.mapping(value, src, f"slos.per_endpoint.{endpoint}", tuple(SLO_KEYS)), src,
                                f"slos.per_endpoint.{endpoint}")
        for endpoint, value in per_raw.items()
    }
    return Slos(overall=overall, per_endpoint=per)


def parse_validity(raw: Any, src: str) -> Validity:
    """The ``validity`` section."""
    data = fields.mapping(raw, src, "validity", tuple(f.name for f in dataclasses.fields(Validity)))
    out: dict[str, float] = {}
    for key, value in data.items():
        path = f"validity.{key}"
        if value is None:
            continue
        if key in ("max_dispatch_lag_p99", "saturation_window_s"):
            out[key] = fields.duration(value, src, path)
        else:
            out[key] = fields.number(value, src, path, positive=key == "max_cpu_percent",
                                     upper=1.0 if key == "max_dropped_fraction" else None)
    return Validity(**out)


def parse_cluster_checks(raw: Any, src: str, defaults: Mapping[str, float] | None = None) -> ClusterChecks:
    """The ``cluster_checks`` section; ``defaults`` (e.g. the target's own HPA sync period) fill keys not given."""
    data = fields.mapping(raw, src, "cluster_checks", tuple(f.name for f in dataclasses.fields(ClusterChecks)))
    merged = {**(defaults or {}), **{k: v for k, v in data.items() if v is not None}}
    return ClusterChecks(**{k: fields.number(v, src, f"cluster_checks.{k}") for k, v in merged.items()})


def parse_thresholds(profile: Mapping[str, Any], src: str, endpoints: tuple[str, ...] | None = None,
                     cluster_defaults: Mapping[str, float] | None = None) -> Thresholds:
    """The threshold sections of a profile mapping (other keys are the load plane's and are not looked at)."""
    if not isinstance(profile, Mapping):
        fields.fail(src, "(top level)", "must be a mapping", profile)
    return Thresholds(slos=parse_slos(profile.get("slos"), src, endpoints),
                      validity=parse_validity(profile.get("validity"), src),
                      cluster_checks=parse_cluster_checks(profile.get("cluster_checks"), src, cluster_defaults))
