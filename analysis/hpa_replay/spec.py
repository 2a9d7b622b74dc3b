"""The HPA settings the replay needs, parsed from the observer's columns or a target's `hpa_expected`.

Written from upstream's API and defaults (autoscaling/v2 `HorizontalPodAutoscalerBehavior`; defaults of
`GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules`), independently of the local cluster's controller:

- scaleUp defaults: stabilization 0 s, selectPolicy Max, policies 4 Pods / 15 s and 100 Percent / 15 s;
- scaleDown defaults: stabilization None (the controller's --horizontal-pod-autoscaler-downscale-stabilization,
  300 s), selectPolicy Max, policy 100 Percent / 15 s; a field left out of a given rule takes its default;
- no `spec.behavior` at all is the autoscaling/v1 path (`behavior` None here): no rate limit on scale-down, a
  scale-up limit of max(2 x current, 4) per sync, the controller-wide scale-down stabilization window.

`PRODUCTION` is AgentFlow's production HPA (agentflow.md in docs/hpa.md): min 3, max 20, CPU 70 % and memory
80 %, scale up 100 % or 4 pods per 15 s (Max), scale down 10 % per 60 s after a 300 s window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["PRODUCTION", "Behavior", "HpaSpec", "MetricTarget", "Policy", "Rules", "describe_rules",
           "parse_behavior", "parse_expected", "time_scaled"]

_POLICY_TYPES = ("Pods", "Percent")
_SELECT = ("Max", "Min", "Disabled")
_RULE_KEYS = {"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"}
_SPEC_KEYS = {"minReplicas", "maxReplicas", "metrics", "behavior"}


@dataclass(frozen=True)
class Policy:
    type: str  # Pods | Percent
    value: int
    period_s: float


@dataclass(frozen=True)
class Rules:
    window_s: float | None  # None: the controller's default (scale-down only)
    select: str  # Max | Min | Disabled
    policies: tuple[Policy, ...]
    tolerance: float | None = None  # per-direction tolerance (alpha field); None: the controller's


@dataclass(frozen=True)
class Behavior:
    up: Rules
    down: Rules


@dataclass(frozen=True)
class MetricTarget:
    """One spec metric: what it measures and its target (percent for Utilization, milli-units otherwise)."""

    type: str  # Resource | ContainerResource | Pods | Object | External
    name: str  # cpu, memory, or the metric's name
    target_type: str  # Utilization | AverageValue | Value
    target: float


@dataclass(frozen=True)
class HpaSpec:
    min_replicas: int
    max_replicas: int
    metrics: tuple[MetricTarget, ...]
    behavior: Behavior | None


UP_DEFAULT = Rules(0.0, "Max", (Policy("Pods", 4, 15.0), Policy("Percent", 100, 15.0)))
DOWN_DEFAULT = Rules(None, "Max", (Policy("Percent", 100, 15.0),))


def _number(value: Any, field: str, minimum: float, integer: bool = False) -> float:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or not math.isfinite(value) or value < minimum:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{field}: expected {kind} >= {minimum:g}, got {value!r}")
    return float(value)


def _policy(raw: Any, field: str) -> Policy:
    if not isinstance(raw, Mapping) or set(raw) - {"type", "value", "periodSeconds"}:
        raise ValueError(f"{field}: expected {{type, value, periodSeconds}}, got {raw!r}")
    if raw.get("type") not in _POLICY_TYPES:
        raise ValueError(f"{field}.type: one of {', '.join(_POLICY_TYPES)}, got {raw.get('type')!r}")
    return Policy(str(raw["type"]), int(_number(raw.get("value"), f"{field}.value", 1, True)),
                  _number(raw.get("periodSeconds"), f"{field}.periodSeconds", 1))


def _rules(raw: Any, default: Rules, field: str) -> Rules:
    if raw is None:
        return default
    if not isinstance(raw, Mapping) or set(raw) - _RULE_KEYS:
        unknown = sorted(set(raw) - _RULE_KEYS) if isinstance(raw, Mapping) else raw
        raise ValueError(f"{field}: expected an object with {sorted(_RULE_KEYS)}, got {unknown!r}")
    rules = default
    if raw.get("selectPolicy") is not None:
        if raw["selectPolicy"] not in _SELECT:
            raise ValueError(f"{field}.selectPolicy: one of {', '.join(_SELECT)}, got {raw['selectPolicy']!r}")
        rules = replace(rules, select=str(raw["selectPolicy"]))
    if raw.get("stabilizationWindowSeconds") is not None:
        window = _number(raw["stabilizationWindowSeconds"], f"{field}.stabilizationWindowSeconds", 0)
        rules = replace(rules, window_s=window)
    if raw.get("policies") is not None:
        if not isinstance(raw["policies"], list):
            raise ValueError(f"{field}.policies: expected a list, got {raw['policies']!r}")
        rules = replace(rules, policies=tuple(_policy(p, f"{field}.policies[{i}]")
                                              for i, p in enumerate(raw["policies"])))
    if raw.get("tolerance") is not None:
        tolerance = raw["tolerance"]
        tolerance = float(tolerance) if isinstance(tolerance, int | float | str) else tolerance
        rules = replace(rules, tolerance=_number(tolerance, f"{field}.tolerance", 0))
    return rules


def parse_behavior(raw: Any, field: str = "behavior") -> Behavior | None:
    """`spec.behavior` (JSON form) with upstream's defaults filled in; None when absent (the v1 path)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"scaleUp", "scaleDown"}:
        raise ValueError(f"{field}: expected an object with scaleUp and/or scaleDown, got {raw!r}")
    return Behavior(_rules(raw.get("scaleUp"), UP_DEFAULT, f"{field}.scaleUp"),
                    _rules(raw.get("scaleDown"), DOWN_DEFAULT, f"{field}.scaleDown"))


def _metric(raw: Any, field: str) -> MetricTarget:
    """A spec metric in the observer's `metric_values` form ({type, name, target: {type, utilization |
    average_value | value}}) or in the API's form (`resource.target.averageUtilization`; values in milli)."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("type"), str):
        raise ValueError(f"{field}: expected an object with a string 'type', got {raw!r}")
    kind = raw["type"]
    source = raw.get({"Resource": "resource", "ContainerResource": "containerResource"}.get(kind, "pods"))
    if isinstance(source, Mapping):  # the API's form, as a target file states it
        target = source.get("target") or {}
        name = source.get("name") or (source.get("metric") or {}).get("name")
        utilization = target.get("averageUtilization")
        value = target.get("averageValue", target.get("value"))
        target_type = "Utilization" if utilization is not None else str(target.get("type") or "AverageValue")
        amount = utilization if utilization is not None else value
    else:
        target = raw.get("target") or {}
        name = raw.get("name")
        target_type = str(target.get("type") or ("Utilization" if "utilization" in target else "AverageValue"))
        amount = target.get("utilization", target.get("average_value", target.get("value")))
    if not isinstance(name, str) or not name:
        raise ValueError(f"{field}: the metric's name (cpu, memory, ...) is required")
    return MetricTarget(kind, name, target_type, _number(amount, f"{field}.target", 0))


def parse_metrics(raw: Any, field: str = "metrics") -> tuple[MetricTarget, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"{field}: expected a list, got {raw!r}")
    return tuple(_metric(m, f"{field}[{i}]") for i, m in enumerate(raw))


def parse_expected(raw: Any) -> HpaSpec:
    """A target's `hpa_expected` (autoscaling/v2 spec fields; values such as averageValue in milli-units)."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"expected a mapping of HPA spec fields {sorted(_SPEC_KEYS)}, got {raw!r}")
    unknown = sorted(set(raw) - _SPEC_KEYS)
    if unknown:
        raise ValueError(f"unknown field(s) {unknown}; allowed: {sorted(_SPEC_KEYS)}")
    low = int(_number(raw.get("minReplicas", 1), "minReplicas", 0, True))
    high = int(_number(raw.get("maxReplicas"), "maxReplicas", max(1, low), True))
    behavior = parse_behavior(raw.get("behavior"))
    return HpaSpec(low, high, parse_metrics(raw.get("metrics")), behavior)


PRODUCTION = parse_expected({
    "minReplicas": 3, "maxReplicas": 20,
    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 70}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {"averageUtilization": 80}}}],
    "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                             "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15},
                                          {"type": "Pods", "value": 4, "periodSeconds": 15}]},
                 "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                               "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]}},
})


def _scaled(seconds: float, factor: float) -> float:
    return float(max(1, round(seconds / factor)))


def time_scaled(spec: HpaSpec, factor: float) -> HpaSpec:
    """`spec` with every window and period divided by `factor` (rounded, at least 1 s; a 0 s window stays 0), as
    the local cluster's time scale writes them into its HPA."""
    if factor == 1.0 or spec.behavior is None:
        return spec

    def rules(r: Rules) -> Rules:
        window = None if r.window_s is None else (0.0 if r.window_s == 0 else _scaled(r.window_s, factor))
        return replace(r, window_s=window, policies=tuple(replace(p, period_s=_scaled(p.period_s, factor))
                                                          for p in r.policies))

    return replace(spec, behavior=Behavior(rules(spec.behavior.up), rules(spec.behavior.down)))


def describe_rules(rules: Rules | None, up: bool, default_window_s: float = 300.0) -> str:
    """E.g. "10 % per 60 s (Max) after a 300 s window"; `rules` None: the no-behavior (v1) rule of that side."""
    if rules is None:
        return ("max(2 x current, 4) per sync, no window" if up
                else f"no rate limit after the controller's {default_window_s:g} s window (no behavior)")
    if rules.select == "Disabled":
        return "disabled (selectPolicy Disabled)"
    parts = [f"{p.value}{' %' if p.type == 'Percent' else (' pod' if p.value == 1 else ' pods')} per {p.period_s:g} s"
             for p in rules.policies]
    window = default_window_s if rules.window_s is None else rules.window_s
    select = f" ({rules.select})" if len(parts) > 1 else ""
    return f"{' or '.join(parts)}{select}" + (f" after a {window:g} s window" if window else "")
