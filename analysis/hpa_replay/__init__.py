"""An independent replay of upstream's HPA algorithm over what the observer recorded (docs/hpa.md).

    from analysis.hpa_replay import replay, ReplaySettings
    result = replay(inputs, ReplaySettings(sync_period_s=15))   # inputs: analysis.hpa_replay.frames
    result.expected, result.low, result.high, result.deviations

Pure functions over numpy arrays (`inputs`, `recommend`, `normalize`, `compare`, `replay`); `frames` builds the
inputs from a run directory's cluster frames; `spec` parses the HPA settings.
"""

from analysis.hpa_replay.inputs import (
    Deviation,
    GroupCounts,
    MetricSeries,
    ReplayInput,
    ReplayResult,
    ReplaySettings,
)
from analysis.hpa_replay.replay import replay
from analysis.hpa_replay.spec import PRODUCTION, Behavior, HpaSpec, MetricTarget, parse_behavior, parse_expected

__all__ = [
    "PRODUCTION",
    "Behavior",
    "Deviation",
    "GroupCounts",
    "HpaSpec",
    "MetricSeries",
    "MetricTarget",
    "ReplayInput",
    "ReplayResult",
    "ReplaySettings",
    "parse_behavior",
    "parse_expected",
    "replay",
]
