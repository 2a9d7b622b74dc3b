"""One formula per metric: the load plane, the verdict pipeline and the report's stated formulas agree."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest

from analysis.derive import add_derived
from analysis.quantiles import weighted_quantile
from analysis.report.tables import FORMULAS
from loadtests.record import GAP_RESERVOIR, GapStats, StreamRecord
from rundir import metrics


@pytest.mark.parametrize("n", [1, 2, 3, 10, 99, 100, 101, 200, GAP_RESERVOIR])
def test_per_stream_gap_percentiles_are_the_reports_nearest_rank(n):
    """Regression (issue 16): gap_p99/gap_p50 were linearly interpolated while the report states nearest rank."""
    rng = random.Random(n)
    gaps = [rng.expovariate(40) for _ in range(n)]
    stats = GapStats()
    for gap in gaps:
        stats.add(gap)
    _, p50, p99, _, _ = stats.summary()
    expected = weighted_quantile(gaps, [0.5, 0.99])
    assert (p50, p99) == (expected[0], expected[1])
    assert p99 in gaps and p50 in gaps  # an observed value, never an interpolation


def test_nearest_rank_edges():
    assert metrics.nearest_rank([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert metrics.nearest_rank([float(i) for i in range(1, 101)], 0.99) == 99.0  # 0.99 * 100 rounds up in floats
    assert metrics.nearest_rank([5.0], 0.01) == 5.0
    with pytest.raises(ValueError):
        metrics.nearest_rank([], 0.5)


def test_the_load_plane_and_the_verdict_pipeline_compute_the_same_ttft_and_e2e():
    rec = StreamRecord(stream_id="s", worker="w", endpoint="agent_run", stage="x", open_loop=True, scheduled=10.0,
                       sent=10.25, first_token=10.75, last_token=11.5, end=12.0, events=4)
    frame = add_derived(pd.DataFrame([rec.to_row()]))
    assert frame["ttft"].iloc[0] == rec.ttft == 0.75 and frame["e2e"].iloc[0] == rec.e2e == 2.0
    assert frame["dispatch_lag"].iloc[0] == 0.25 and frame["tpot"].iloc[0] == pytest.approx(0.75 / 3)
    arr = metrics.ttft(np.array([1.5, np.nan]), np.array([1.0, 1.0]))
    assert arr[0] == 0.5 and math.isnan(arr[1])


def test_the_report_states_the_contracts_formulas():
    stated = dict(FORMULAS)
    for metric, title in (("ttft", "TTFT"), ("e2e", "E2E"), ("dispatch_lag", "Dispatch lag")):
        later, earlier = metrics.DIFFERENCES[metric]
        assert stated[title].startswith(f"{later} - {earlier}"), (title, stated[title])
        assert f"{metric:<12} = {later} - {earlier}" in metrics.__doc__
    assert stated["pXX"].startswith("nearest rank") and "nearest rank" in metrics.__doc__
