"""HPA scaling behavior: defaults, stabilization windows and rate-limiting policies, as upstream.

Follows kubernetes/kubernetes `pkg/apis/autoscaling/v2/defaults.go` (GenerateHPAScaleUpRules/DownRules) and
`pkg/controller/podautoscaler/horizontal.go` (stabilizeRecommendation[WithBehaviors],
convertDesiredReplicasWithBehaviorRate, calculateScale{Up,Down}Limit*, convertDesiredReplicasWithRules,
storeScaleEvent, markScaleEventsOutdated, getReplicasChangePerPeriod):

- a recommendation counts in a window when it is strictly newer than `now - window`; one older than every
  window is overwritten by the new recommendation (the list does not grow without bound);
- scale-up stabilization applies the lowest recommendation of its window, scale-down the highest;
- a policy limit is counted from the replica count at the start of its period: start = current - added +
  removed over the scale events strictly newer than `now - periodSeconds`; Pods: start +/- value; Percent:
  ceil(start * (1 + p/100)) up, int(start * (1 - p/100)) down; `Max` takes the largest change, `Min` the
  smallest, `Disabled` none;
- without `spec.behavior` (autoscaling/v1 style) the scale-up limit is max(2 * current, 4) and only the
  controller-wide scale-down stabilization window applies.

`time_scale` divides every window and period (a time-compressed local cluster); 1.0 is real time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from localcluster.quantity import QuantityError, parse_quantity

__all__ = [
    "Behavior",
    "Recommendation",
    "ScaleEvent",
    "ScalingPolicy",
    "ScalingRules",
    "convert_with_behavior_rate",
    "convert_with_rules",
    "parse_behavior",
    "replicas_change_in_period",
    "scale_down_limit",
    "scale_up_limit",
    "stabilize",
    "stabilize_with_behaviors",
    "store_scale_event",
]

_POLICY_TYPES = ("Pods", "Percent")
_SELECT = ("Max", "Min", "Disabled")
_RULE_KEYS = {"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"}


@dataclass(frozen=True)
class ScalingPolicy:
    type: str  # "Pods" or "Percent"
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    stabilization_window_seconds: int | None  # None (scale-down only): the controller-wide default applies
    select_policy: str
    policies: tuple[ScalingPolicy, ...]
    tolerance: float | None = None  # per-HPA tolerance (HPAConfigurableTolerance); None: controller default


@dataclass(frozen=True)
class Behavior:
    scale_up: ScalingRules
    scale_down: ScalingRules


@dataclass(frozen=True)
class Recommendation:
    replicas: int
    timestamp: float


@dataclass(frozen=True)
class ScaleEvent:
    change: int  # absolute number of replicas added (scale-up list) or removed (scale-down list)
    timestamp: float
    outdated: bool = False


DEFAULT_SCALE_UP = ScalingRules(0, "Max", (ScalingPolicy("Pods", 4, 15), ScalingPolicy("Percent", 100, 15)))
DEFAULT_SCALE_DOWN = ScalingRules(None, "Max", (ScalingPolicy("Percent", 100, 15),))


def _int(value: Any, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{field}: expected an integer >= {minimum}, got {value!r}")
    return value


def _policy(raw: Any, field: str) -> ScalingPolicy:
    if not isinstance(raw, Mapping) or set(raw) - {"type", "value", "periodSeconds"}:
        raise ValueError(f"{field}: expected {{type, value, periodSeconds}}, got {raw!r}")
    if raw.get("type") not in _POLICY_TYPES:
        raise ValueError(f"{field}.type: must be one of {', '.join(_POLICY_TYPES)}, got {raw.get('type')!r}")
    period = _int(raw.get("periodSeconds"), f"{field}.periodSeconds", 1)
    if period > 1800:
        raise ValueError(f"{field}.periodSeconds: must be at most 1800, got {period}")
    return ScalingPolicy(raw["type"], _int(raw.get("value"), f"{field}.value", 1), period)


def _rules(raw: Any, default: ScalingRules, field: str) -> ScalingRules:
    """Upstream `copyHPAScalingRules` onto the defaults: every field left out takes its default."""
    if raw is None:
        return default
    if not isinstance(raw, Mapping):
        raise ValueError(f"{field}: expected an object, got {raw!r}")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ValueError(f"{field}: unknown field(s) {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}")
    rules = default
    if raw.get("selectPolicy") is not None:
        if raw["selectPolicy"] not in _SELECT:
            raise ValueError(f"{field}.selectPolicy: must be one of {', '.join(_SELECT)}, got {raw['selectPolicy']!r}")
        rules = replace(rules, select_policy=raw["selectPolicy"])
    if raw.get("stabilizationWindowSeconds") is not None:
        window = _int(raw["stabilizationWindowSeconds"], f"{field}.stabilizationWindowSeconds", 0)
        if window > 3600:
            raise ValueError(f"{field}.stabilizationWindowSeconds: must be at most 3600, got {window}")
        rules = replace(rules, stabilization_window_seconds=window)
    if raw.get("policies") is not None:
        if not isinstance(raw["policies"], list):
            raise ValueError(f"{field}.policies: expected a list, got {raw['policies']!r}")
        policies = tuple(_policy(p, f"{field}.policies[{i}]") for i, p in enumerate(raw["policies"]))
        rules = replace(rules, policies=policies)
    if raw.get("tolerance") is not None:
        try:
            tolerance = float(parse_quantity(raw["tolerance"], f"{field}.tolerance"))
        except QuantityError as exc:
            raise ValueError(str(exc)) from exc
        if tolerance < 0:
            raise ValueError(f"{field}.tolerance: must not be negative, got {raw['tolerance']!r}")
        rules = replace(rules, tolerance=tolerance)
    return rules


def parse_behavior(raw: Any, field: str = "spec.behavior") -> Behavior | None:
    """`spec.behavior` (autoscaling/v2 JSON) to a fully defaulted `Behavior`; None when absent (v1 path)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"scaleUp", "scaleDown"}:
        raise ValueError(f"{field}: expected an object with scaleUp and/or scaleDown, got {raw!r}")
    return Behavior(_rules(raw.get("scaleUp"), DEFAULT_SCALE_UP, f"{field}.scaleUp"),
                    _rules(raw.get("scaleDown"), DEFAULT_SCALE_DOWN, f"{field}.scaleDown"))


def stabilize(recs: Sequence[Recommendation], desired: int, now: float,
              window: float) -> tuple[int, list[Recommendation]]:
    """Upstream `stabilizeRecommendation` (no behavior): the highest recommendation inside the window."""
    cutoff, best, old = now - window, desired, None
    for i, rec in enumerate(recs):
        if rec.timestamp < cutoff:
            old = i
        elif rec.replicas > best:
            best = rec.replicas
    return best, _record(recs, old, Recommendation(desired, now))


def _record(recs: Sequence[Recommendation], old: int | None, new: Recommendation) -> list[Recommendation]:
    out = list(recs)
    if old is None:
        out.append(new)
    else:
        out[old] = new
    return out


def stabilize_with_behaviors(recs: Sequence[Recommendation], current: int, desired: int, now: float,
                             up_window: float, down_window: float) -> tuple[int, str, str, list[Recommendation]]:
    """Upstream `stabilizeRecommendationWithBehaviors`: (replicas, reason, message, new recommendations)."""
    up_cutoff, down_cutoff = now - up_window, now - down_window
    up, down, old = desired, desired, None
    for i, rec in enumerate(recs):
        if rec.timestamp > up_cutoff:
            up = min(up, rec.replicas)
        if rec.timestamp > down_cutoff:
            down = max(down, rec.replicas)
        if rec.timestamp < up_cutoff and rec.timestamp < down_cutoff:
            old = i
    recommendation = min(max(current, up), down)
    if desired >= current:
        reason = "ScaleUpStabilized"
        message = "recent recommendations were lower than current one, applying the lowest recent recommendation"
    else:
        reason = "ScaleDownStabilized"
        message = "recent recommendations were higher than current one, applying the highest recent recommendation"
    return recommendation, reason, message, _record(recs, old, Recommendation(desired, now))


def replicas_change_in_period(period: float, events: Sequence[ScaleEvent], now: float) -> int:
    """Upstream `getReplicasChangePerPeriod`: replicas changed by events strictly newer than now - period."""
    return sum(e.change for e in events if e.timestamp > now - period)


def _limit(current: int, up: Sequence[ScaleEvent], down: Sequence[ScaleEvent], rules: ScalingRules, now: float,
           time_scale: float, direction: int) -> int:
    if rules.select_policy == "Disabled":
        return current
    wants_max = (rules.select_policy == "Min") != (direction > 0)  # Max picks the largest change
    pick = max if wants_max else min
    result = -(2**31) if wants_max else 2**31 - 1  # Go starts from MinInt32 / MaxInt32
    for policy in rules.policies:
        period = policy.period_seconds / time_scale
        start = current - replicas_change_in_period(period, up, now) + replicas_change_in_period(period, down, now)
        if policy.type == "Pods":
            proposed = start + direction * policy.value
        elif direction > 0:  # round up, or a small percentage could never add a pod
            proposed = math.ceil(start * (1 + policy.value / 100))
        else:
            proposed = int(start * (1 - policy.value / 100))
        result = pick(result, proposed)
    return result


def scale_up_limit(current: int, up: Sequence[ScaleEvent], down: Sequence[ScaleEvent], rules: ScalingRules,
                   now: float, time_scale: float = 1.0) -> int:
    """Upstream `calculateScaleUpLimitWithScalingRules`."""
    return _limit(current, up, down, rules, now, time_scale, +1)


def scale_down_limit(current: int, up: Sequence[ScaleEvent], down: Sequence[ScaleEvent], rules: ScalingRules,
                     now: float, time_scale: float = 1.0) -> int:
    """Upstream `calculateScaleDownLimitWithBehaviors`."""
    return _limit(current, up, down, rules, now, time_scale, -1)


def convert_with_behavior_rate(current: int, desired: int, min_replicas: int, max_replicas: int,
                               behavior: Behavior, up: Sequence[ScaleEvent], down: Sequence[ScaleEvent],
                               now: float, time_scale: float = 1.0) -> tuple[int, str, str]:
    """Upstream `convertDesiredReplicasWithBehaviorRate`: (replicas, ScalingLimited reason, message)."""
    if desired > current:
        limit = max(scale_up_limit(current, up, down, behavior.scale_up, now, time_scale), current)
        if max_replicas > limit:
            allowed, reason = limit, "ScaleUpLimit"
            message = "the desired replica count is increasing faster than the maximum scale rate"
        else:
            allowed, reason = max_replicas, "TooManyReplicas"
            message = "the desired replica count is more than the maximum replica count"
        if desired > allowed:
            return allowed, reason, message
    elif desired < current:
        limit = min(scale_down_limit(current, up, down, behavior.scale_down, now, time_scale), current)
        if min_replicas < limit:
            allowed, reason = limit, "ScaleDownLimit"
            message = "the desired replica count is decreasing faster than the maximum scale rate"
        else:
            allowed, reason = min_replicas, "TooFewReplicas"
            message = "the desired replica count is less than the minimum replica count"
        if desired < allowed:
            return allowed, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def convert_with_rules(current: int, desired: int, min_replicas: int, max_replicas: int,
                       factor: float = 2.0, minimum: float = 4.0) -> tuple[int, str, str]:
    """Upstream `convertDesiredReplicasWithRules` (no behavior): scale-up limit max(factor * current, minimum)."""
    scale_up = int(max(factor * current, minimum))
    if max_replicas > scale_up:
        allowed, reason = scale_up, "ScaleUpLimit"
        message = "the desired replica count is increasing faster than the maximum scale rate"
    else:
        allowed, reason = max_replicas, "TooManyReplicas"
        message = "the desired replica count is more than the maximum replica count"
    if desired < min_replicas:
        return min_replicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
    if desired > allowed:
        return allowed, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def _store(events: Sequence[ScaleEvent], rules: ScalingRules, change: int, now: float,
           time_scale: float) -> list[ScaleEvent]:
    longest = max((p.period_seconds for p in rules.policies), default=0) / time_scale
    out = [replace(e, outdated=True) if e.timestamp < now - longest else e for e in events]
    old = max((i for i, e in enumerate(out) if e.outdated), default=None)
    new = ScaleEvent(change, now)
    if old is None:
        out.append(new)
    else:
        out[old] = new
    return out


def store_scale_event(behavior: Behavior | None, up: Sequence[ScaleEvent], down: Sequence[ScaleEvent],
                      prev: int, new: int, now: float,
                      time_scale: float = 1.0) -> tuple[list[ScaleEvent], list[ScaleEvent]]:
    """Upstream `storeScaleEvent`: record a rescale (reusing an outdated slot); nothing without behavior."""
    if behavior is None:
        return list(up), list(down)
    if new > prev:
        return _store(up, behavior.scale_up, new - prev, now, time_scale), list(down)
    return list(up), _store(down, behavior.scale_down, prev - new, now, time_scale)
