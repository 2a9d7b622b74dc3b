"""capacity.hpa_target over sweep levels: the knee, CPU at the knee against the HPA target with margin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.capacity import SweepSlos, hpa_target_check, knee, level_stats


def rows(n: int, ttft: float, stretch: float = 1.0, errors: int = 0) -> pd.DataFrame:
    sent = np.arange(n, dtype=float)
    expected = np.full(n, 4.0)
    outcome = ["ok"] * (n - errors) + ["http_error"] * errors
    return pd.DataFrame({"sent": sent, "first_token": sent + ttft, "end": sent + expected * stretch,
                         "outcome": outcome, "expected_s": expected})


def sweep(utils: list[float], broken_from: int):
    slos = SweepSlos()
    users = [4, 8, 16, 32, 64][: len(utils)]
    return [level_stats(u, rows(100, 0.3 if i < broken_from else 4.0, 1.0 if i < broken_from else 2.0), cpu, slos)
            for i, (u, cpu) in enumerate(zip(users, utils, strict=True))]


def test_level_stats_formulas():
    lv = level_stats(8, rows(200, 0.5, stretch=1.2, errors=4), 0.5, SweepSlos())
    assert lv.stretch and lv.e2e_p99 == pytest.approx(1.2) and lv.ttft_p99 == pytest.approx(0.5)
    assert lv.error_rate == pytest.approx(0.02) and lv.broken == ("error_rate 2.0% > 1.0%",)
    chat = rows(50, 0.2).assign(expected_s=np.nan)
    assert not level_stats(4, chat, 0.1, SweepSlos()).stretch


def test_hpa_target_before_the_knee_passes():
    levels = sweep([0.2, 0.4, 0.9, 1.5], broken_from=3)
    good, bad = knee(levels)
    assert good is not None and good.users == 16 and bad is not None and bad.users == 32
    check = hpa_target_check(levels, target=0.70, margin=0.10)
    assert check.verdict == "pass" and check.measured == pytest.approx(90.0) and check.threshold == pytest.approx(77.0)
    assert "one pod holds 16 concurrent streams within the SLO (knee at 32" in check.evidence.sentence


def test_pod_saturating_below_the_target_fails():
    check = hpa_target_check(sweep([0.1, 0.2, 0.25], broken_from=2), target=0.70)
    assert check.verdict == "fail" and check.measured == pytest.approx(20.0)
    assert "far after the knee" in check.evidence.sentence
    assert hpa_target_check(sweep([0.3, 0.6, 0.9], broken_from=2), target=0.70).verdict == "fail"  # 60 % < 77 %


def test_no_knee_or_knee_at_the_first_level_is_incomplete():
    assert hpa_target_check(sweep([0.1, 0.2], broken_from=9)).verdict == "incomplete"
    first = hpa_target_check(sweep([0.9, 1.0], broken_from=0))
    assert first.verdict == "incomplete" and "start the sweep lower" in first.evidence.sentence


def test_sweep_curve_is_a_png():
    from analysis.report.sweep_plot import sweep_plot

    assert sweep_plot(sweep([0.2, 0.4, 0.9, 1.5], broken_from=3), 0.70).startswith(b"\x89PNG")
    assert sweep_plot([], 0.70) is None
