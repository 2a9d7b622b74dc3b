"""Upstream's pod groups as the replay rebuilds them from the observer's pod and PodMetrics rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.hpa_replay.groups import group_counts

INIT, DELAY, MARGIN = 300.0, 30.0, 1.5


def rows(t: float, pods: list[dict]) -> pd.DataFrame:
    base = {"time": t, "phase": "Running", "ready": True, "terminating": False, "start_time": 0.0,
            "ready_transition": 10.0, "cpu_request": 500.0, "value": 100.0, "timestamp": t - 0.5, "window": 15.0}
    return pd.DataFrame([{**base, "pod": f"p{i}", **p} for i, p in enumerate(pods)])


def counts(frame: pd.DataFrame, t: float, resource: str = "cpu") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = group_counts(frame, np.array([t]), resource, INIT, DELAY, MARGIN)
    return g.ready[:, 0], g.unready[:, 0], g.missing[:, 0]


def test_pods_long_ready_stay_counted_at_the_end_of_the_cpu_initialization_period():
    """Regression (make demo): at start + 300 s every old pod was called borderline and flipped to unready in
    view 2, which then had no pod counted, so the sample's recommendation was lost and a 7 -> 8 was misjudged."""
    ready, unready, missing = counts(rows(300.2, [{}, {}, {}]), 300.2)
    assert ready.tolist() == [3, 3, 3] and unready.tolist() == [0, 0, 0] and missing.tolist() == [0, 0, 0]


def test_a_cpu_sample_not_covering_a_full_window_since_ready_is_unready_and_borderline_near_its_edge():
    t = 100.0
    young = {"start_time": 80.0, "ready_transition": 90.0, "timestamp": 104.6}  # 90 + 15 = 105: just short
    pending, missing_metric = {"phase": "Pending", "value": np.nan}, {"value": np.nan}
    frame = rows(t, [{}, young, pending, missing_metric, {"terminating": True}, {"ready": False}])
    ready, unready, missing = counts(frame, t)
    # nominal: the old pod counted; the young one, the Pending one and the not-Ready one (inside its CPU
    # initialization period) unready; the one without a metric missing; the terminating one ignored
    assert (ready[0], unready[0], missing[0]) == (1, 3, 1)
    assert (ready[2], unready[2]) == (2, 2)  # view 2: the young pod's call is within 1.5 s of its edge
    memory_ready, memory_unready, _ = counts(frame, t, "memory")
    assert (memory_ready[0], memory_unready[0]) == (3, 1)  # no CPU rules for memory: only Pending is unready
