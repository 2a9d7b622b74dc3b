"""One HPA sync as a pure function: `decide(spec, current_replicas, metrics, now, state) -> Decision`.

Mirrors upstream `reconcileAutoscaler` (kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go)
without I/O: the caller reads the target's scale and the pods' metrics, calls `decide`, writes
`decision.desired` to the scale subresource when `decision.rescale`, keeps `decision.state` for the next sync
of this HPA, and writes the status (see `localcluster.hpa.status.hpa_status`). Steps:

1. AbleToScale=True/SucceededGetScale; the first sync records the current count as a recommendation.
2. Scale 0 with minReplicas > 0: ScalingActive=False/ScalingDisabled, no change. Outside [min, max]: move
   to the bound at once (no metrics are read).
3. Otherwise the largest metric proposal (see metrics.py), normalised by the behavior (stabilization window,
   then rate policies, then bounds) or, without `spec.behavior`, by the v1 rules (scale-down stabilization
   with the controller-wide window, scale-up limit max(2 * current, 4)). A rescale stores a scale event.

If applying the scale fails, report `rescale_failed(decision, message)` instead (no scale event is kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from localcluster.hpa.behavior import (
    Recommendation,
    ScaleEvent,
    convert_with_behavior_rate,
    convert_with_rules,
    stabilize,
    stabilize_with_behaviors,
    store_scale_event,
)
from localcluster.hpa.metrics import MetricsInput, compute_replicas_for_metrics
from localcluster.hpa.replicas import Readiness, Tolerances
from localcluster.hpa.spec import HpaSpec, parse_hpa_spec

__all__ = ["Decision", "HpaConfig", "HpaState", "decide", "rescale_failed"]

_READY_FOR_NEW_SCALE = ("True", "ReadyForNewScale", "recommended size matches current size")


@dataclass(frozen=True)
class HpaConfig:
    """kube-controller-manager's HPA flags (defaults as upstream); `time_scale` divides every duration."""

    tolerance: float = 0.1
    cpu_initialization_period: float = 300.0
    initial_readiness_delay: float = 30.0
    downscale_stabilization_window: float = 300.0
    scale_up_limit_factor: float = 2.0  # no-behavior path: scale-up limit max(factor * current, minimum)
    scale_up_limit_minimum: float = 4.0
    time_scale: float = 1.0  # 10.0: windows, periods and delays are ten times shorter

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError(f"HpaConfig.time_scale: must be > 0, got {self.time_scale}")


@dataclass
class HpaState:
    """What the controller keeps per HPA between syncs (upstream's recommendations and scale events)."""

    recommendations: list[Recommendation] | None = None  # None: never synced (first sync records current)
    scale_up_events: list[ScaleEvent] = field(default_factory=list)
    scale_down_events: list[ScaleEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    desired: int  # replica count to set (== current when not rescaling)
    rescale: bool
    conditions: tuple[dict[str, str], ...]  # {type, status, reason, message} in upstream order
    current_metrics: tuple[dict[str, Any], ...]  # status.currentMetrics (autoscaling/v2 form)
    reason: str  # why it rescales ("cpu resource utilization (percentage of request) above target", ...)
    state: HpaState
    status_desired: int | None  # status.desiredReplicas; None: keep the previous value (metrics failed)
    error: str | None = None  # upstream's returned error (the sync still may have scaled)
    metric_name: str = ""
    metric_timestamp: float | None = None
    state_without_event: HpaState | None = None  # the state to keep when the rescale could not be applied
    current_replicas: int = 0


class _Conditions:
    """Upstream `setCondition` on an empty list: first set fixes the position, later sets overwrite."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, str, str]] = {}

    def set(self, kind: str, status: str, reason: str, message: str) -> None:
        self._items[kind] = (status, reason, message)

    def as_tuple(self) -> tuple[dict[str, str], ...]:
        return tuple({"type": k, "status": s, "reason": r, "message": m} for k, (s, r, m) in self._items.items())


@dataclass
class _Sync:
    hpa: HpaSpec
    current: int
    now: float
    config: HpaConfig
    recs: list[Recommendation]
    up: list[ScaleEvent]
    down: list[ScaleEvent]
    conditions: _Conditions = field(default_factory=_Conditions)

    def normalize(self, desired: int) -> int:
        behavior, scale, hpa = self.hpa.behavior, self.config.time_scale, self.hpa
        if behavior is None:
            window = self.config.downscale_stabilization_window / scale
            stabilized, self.recs = stabilize(self.recs, desired, self.now, window)
            able = ("True", "ScaleDownStabilized", "recent recommendations were higher than current one, "
                    "applying the highest recent recommendation")
            final, reason, message = convert_with_rules(self.current, stabilized, hpa.min_replicas, hpa.max_replicas,
                                                        self.config.scale_up_limit_factor,
                                                        self.config.scale_up_limit_minimum)
        else:
            down = behavior.scale_down.stabilization_window_seconds
            down_window = (self.config.downscale_stabilization_window if down is None else down) / scale
            up_window = (behavior.scale_up.stabilization_window_seconds or 0) / scale
            stabilized, s_reason, s_message, self.recs = stabilize_with_behaviors(
                self.recs, self.current, desired, self.now, up_window, down_window)
            able = ("True", s_reason, s_message)
            final, reason, message = convert_with_behavior_rate(self.current, stabilized, hpa.min_replicas,
                                                                hpa.max_replicas, behavior, self.up, self.down,
                                                                self.now, scale)
        self.conditions.set("AbleToScale", *(able if stabilized != desired else _READY_FOR_NEW_SCALE))
        self.conditions.set("ScalingLimited", "False" if final == stabilized else "True", reason, message)
        return final

    def state(self) -> HpaState:
        return HpaState(list(self.recs), list(self.up), list(self.down))


def _tolerances(hpa: HpaSpec, config: HpaConfig) -> Tolerances:
    up = down = config.tolerance
    if hpa.behavior is not None:
        up = config.tolerance if hpa.behavior.scale_up.tolerance is None else hpa.behavior.scale_up.tolerance
        down = config.tolerance if hpa.behavior.scale_down.tolerance is None else hpa.behavior.scale_down.tolerance
    return Tolerances(scale_down=down, scale_up=up)


def decide(spec: Mapping[str, Any], current_replicas: int, metrics: MetricsInput, now: float, state: HpaState,
           config: HpaConfig = HpaConfig(), *, status_replicas: int | None = None) -> Decision:
    """One sync of one HPA. `current_replicas` is the target's spec.replicas (scale.spec.replicas);
    `status_replicas` its status.replicas (used by per-pod Object/External targets; default: current)."""
    hpa = parse_hpa_spec(spec)
    recs = [Recommendation(current_replicas, now)] if state.recommendations is None else list(state.recommendations)
    sync = _Sync(hpa, current_replicas, now, config, recs, list(state.scale_up_events), list(state.scale_down_events))
    sync.conditions.set("AbleToScale", "True", "SucceededGetScale",
                        "the HPA controller was able to get the target's current scale")
    statuses: list[dict[str, Any]] = []
    outcome = None
    reason, rescale, desired = "", True, current_replicas
    if current_replicas == 0 and hpa.min_replicas != 0:
        rescale = False
        sync.conditions.set("ScalingActive", "False", "ScalingDisabled",
                            "scaling is disabled since the replica count of the target is zero")
    elif current_replicas > hpa.max_replicas:
        reason, desired = "Current number of replicas above Spec.MaxReplicas", hpa.max_replicas
    elif current_replicas < hpa.min_replicas:
        reason, desired = "Current number of replicas below Spec.MinReplicas", hpa.min_replicas
    else:
        readiness = Readiness(config.cpu_initialization_period / config.time_scale,
                              config.initial_readiness_delay / config.time_scale)
        outcome = compute_replicas_for_metrics(hpa.metrics, current_replicas,
                                               current_replicas if status_replicas is None else status_replicas,
                                               metrics, now, _tolerances(hpa, config), readiness)
        statuses = outcome.statuses
        sync.conditions.set("ScalingActive", *outcome.condition)
        if outcome.replicas == -1:
            return Decision(current_replicas, False, sync.conditions.as_tuple(), tuple(statuses), "", sync.state(),
                            None, outcome.error, current_replicas=current_replicas)
        desired = max(outcome.replicas, 0)
        if desired > current_replicas:
            reason = f"{outcome.metric_name} above target"
        elif desired < current_replicas:
            reason = "All metrics below target"
        desired = sync.normalize(desired)
        rescale = desired != current_replicas
    before = sync.state()
    if rescale:
        sync.conditions.set("AbleToScale", "True", "SucceededRescale",
                            f"the HPA controller was able to update the target scale to {desired}")
        sync.up, sync.down = store_scale_event(hpa.behavior, sync.up, sync.down, current_replicas, desired, now,
                                               config.time_scale)
    else:
        desired = current_replicas
    return Decision(desired, rescale, sync.conditions.as_tuple(), tuple(statuses), reason if rescale else "",
                    sync.state(), desired, None if outcome is None else outcome.error,
                    "" if outcome is None else outcome.metric_name,
                    None if outcome is None else outcome.timestamp, before, current_replicas)


def rescale_failed(decision: Decision, message: str) -> Decision:
    """The scale update failed: AbleToScale=False/FailedUpdateScale, no scale event, desired unchanged."""
    conditions = tuple(
        {"type": "AbleToScale", "status": "False", "reason": "FailedUpdateScale",
         "message": f"the HPA controller was unable to update the target scale: {message}"}
        if c["type"] == "AbleToScale" else c for c in decision.conditions)
    return replace(decision, desired=decision.current_replicas, rescale=False, conditions=conditions,
                   status_desired=None, reason="",
                   state=decision.state_without_event or decision.state, error=f"failed to rescale: {message}")
