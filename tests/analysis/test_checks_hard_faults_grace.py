"""A connection refused by a hard-killed pod just after its endpoint left the samples is still a casualty: the
data path learns of endpoint changes only after a propagation delay (regression: the matrix's good
pod-kill-grace0 run failed fault.collateral on a connect_error 0.09 s after the endpoints sample)."""

from __future__ import annotations

import pandas as pd
from cluster_runs import T0, streams
from test_checks_hard_faults import _run

from analysis.checks.hard_faults import evaluate_collateral, find_casualties


def test_a_refusal_within_the_propagation_delay_is_a_casualty_and_a_later_one_is_collateral():
    just_after = streams(1, 22.1, 22.2, outcome="connect_error", prefix="propagating")  # endpoint gone at +22 s
    too_late = streams(1, 24.5, 24.6, outcome="connect_error", prefix="late")
    data = _run(pd.concat([just_after, too_late], ignore_index=True))
    casualties = find_casualties(data)
    assert casualties.count == 7  # 4 truncated + 2 refused before +22 s + 1 within the 2 s grace
    result = evaluate_collateral(data, casualties, T0)[0]
    assert result.verdict == "fail" and result.measured == 1
    assert find_casualties(data, grace=0.0).count == 6
