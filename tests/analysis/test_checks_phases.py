"""Per-phase SLOs and time to SLO recovery after a fault mark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cluster_runs import T0, cluster, marks, streams

from analysis.checks.config import parse_slos
from analysis.checks.kube import ClusterConfig
from analysis.checks.phases import evaluate_phases, phase_of

SLOS = parse_slos({"slos": {"error_rate": 0.05, "ttft_p99": 1.0, "e2e_p99": 5.0}})
END = T0 + 200


def _by_name(results):
    return {r.name: r for r in results}


def _run(bad_until: float):
    """Steady 0..100 s ok; fault 100..110 s with errors; errors continue until `bad_until`, ok afterwards."""
    frames = [streams(200, 0, 100), streams(20, 100, 110, outcome="connect_error", prefix="f")]
    if bad_until > 110:
        frames.append(streams(int(bad_until - 110) * 2, 110, bad_until, outcome="truncated", prefix="b"))
    frames.append(streams(int((190 - bad_until) * 2), bad_until, 190, ttft=0.3, prefix="r"))
    return cluster(stream_frame=pd.concat(frames, ignore_index=True), mark_frame=marks(("kill-pod", 100, 110)))


def test_phase_of_classifies_fault_recovery_steady():
    m = marks(("a", 10, 20))
    got = phase_of(T0 + np.array([5.0, 10, 15, 20, 25, 80, 81]), m, 60.0)
    assert got.tolist() == ["steady", "fault", "fault", "fault", "recovery", "recovery", "steady"]


def test_phases_pass_and_fail_against_the_profile_slos():
    results = _by_name(evaluate_phases(_run(120), SLOS, ClusterConfig(), T0, END))
    assert results["phase.steady.error_rate"].verdict == "pass"
    assert results["phase.steady.error_rate"].measured == 0.0
    fault = results["phase.fault.error_rate"]
    # 20 refused + the truncation scheduled at +110 s, and two ok steady streams still in flight at +100 s
    assert fault.verdict == "fail" and fault.measured == pytest.approx(21 / 23)
    assert "connect_error" in fault.evidence.sentence and fault.evidence.window_s[0] == pytest.approx(99)
    assert results["phase.steady.ttft_p99"].measured == pytest.approx(0.3)  # streams after the recovery window
    fault_ttft = results["phase.fault.ttft_p99"]  # only the two steady streams still in flight at +100 s were ok
    assert fault_ttft.verdict == "pass" and fault_ttft.measured == pytest.approx(0.2)
    assert results["phase.recovery.e2e_p99"].verdict == "pass"
    assert results["phase.recovery.error_rate"].verdict == "fail"  # truncations 110..120 s


def test_recovery_time_pass_and_fail():
    quick = _by_name(evaluate_phases(_run(120), SLOS, ClusterConfig(max_recovery_s=30), T0, END))["recovery.kill-pod"]
    assert quick.verdict == "pass" and quick.measured == pytest.approx(10.0)
    slow = _by_name(evaluate_phases(_run(160), SLOS, ClusterConfig(max_recovery_s=30), T0, END))["recovery.kill-pod"]
    assert slow.verdict == "fail" and slow.measured == pytest.approx(50.0)
    assert "kill-pod" in slow.evidence.objects and "out of SLO" in slow.evidence.sentence


def test_never_recovered_fails_and_no_marks_skips():
    data = cluster(stream_frame=pd.concat([streams(50, 0, 100), streams(50, 100, 200, outcome="timeout")]),
                   mark_frame=marks(("drain", 100, 110)))
    result = _by_name(evaluate_phases(data, SLOS, ClusterConfig(), T0, END))["recovery.drain"]
    assert result.verdict == "fail" and result.measured is None and "not back" in result.evidence.sentence
    skipped = evaluate_phases(cluster(stream_frame=streams(10, 0, 10)), SLOS, ClusterConfig(), T0, END)
    assert [r.verdict for r in skipped] == ["skipped"]
