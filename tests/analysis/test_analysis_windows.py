"""Per-window and per-stage metrics against brute-force computations."""

from __future__ import annotations

import numpy as np
from analysis_runs import T0, default_stages, fail_streams, make_streams, write_run

from analysis.latency import latency_quantiles, whole_run
from analysis.quantiles import weighted_quantile
from analysis.rundir import load_for_report
from analysis.windows import (
    errors_by_outcome,
    events_per_window,
    per_stage,
    per_window,
    stage_grouping,
    window_grouping,
)


def _loaded(tmp_path, frame, stages=None):
    run = load_for_report(write_run(tmp_path, frame, stages=stages))
    groupings = [whole_run(len(run.streams)), window_grouping(run), stage_grouping(run)]
    return run, latency_quantiles(run, groupings)


def test_counts_rates_and_latency_per_window(tmp_path):
    frame = make_streams(500, duration=45.0)
    run, tables = _loaded(tmp_path, frame)
    windows = per_window(run, tables)
    started = np.floor((frame["scheduled"] - T0) / 10).astype(int)
    finished = np.floor((frame["end"] - T0) / 10).astype(int)
    assert len(windows) == 7  # manifest ends at +60 s
    for k in range(len(windows)):
        assert windows.at[k, "started"] == (started == k).sum()
        assert windows.at[k, "finished"] == (finished == k).sum()
        assert windows.at[k, "started_per_s"] == (started == k).sum() / 10
    k = 2
    in_window = (started == k).to_numpy()
    expected = weighted_quantile((frame["first_token"] - frame["scheduled"])[in_window], [0.5, 0.95, 0.99])
    np.testing.assert_array_equal(windows.loc[k, ["ttft_p50", "ttft_p95", "ttft_p99"]], expected)
    assert np.isnan(windows.at[6, "ttft_p99"])  # nothing scheduled after +45 s


def test_events_are_spread_over_the_stream(tmp_path):
    frame = make_streams(5)
    frame["scheduled"] = frame["sent"] = frame["headers"] = T0 + np.array([1.0, 8.0, 19.0, 25.0, 30.0])
    frame["first_token"] = frame["scheduled"] + 1.0
    frame["last_token"] = frame["first_token"] + np.array([4.0, 20.0, 0.0, 3.0, 0.5])
    frame["end"] = frame["last_token"] + 0.1
    frame["events"] = np.array([9, 41, 1, 31, 0], dtype=np.int32)
    run = load_for_report(write_run(tmp_path, frame))
    got = events_per_window(run)
    expected = np.zeros(len(got))
    for first, last, n in zip(frame["first_token"] - T0, frame["last_token"] - T0, frame["events"], strict=True):
        if n == 0:
            continue
        if last <= first:
            expected[int(first // 10)] += n
            continue
        for k in range(len(got)):
            overlap = max(0.0, min(last, (k + 1) * 10) - max(first, k * 10))
            expected[k] += n * overlap / (last - first)
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert abs(got.sum() - frame["events"].sum()) < 1e-9


def test_errors_by_outcome_are_counted_at_end(tmp_path):
    frame = make_streams(300)
    fail_streams(frame, frame.index[:4], "http_error", 429, "RATE_LIMIT")
    fail_streams(frame, frame.index[-3:], "stream_error", 200, "INTERNAL_ERROR")
    run = load_for_report(write_run(tmp_path, frame))
    errors = errors_by_outcome(run)
    assert list(errors.columns) == ["http_error", "stream_error", "truncated", "connect_error", "timeout"]
    ends = np.floor((frame["end"] - T0) / 10).astype(int)
    assert errors["http_error"].sum() == 4
    assert errors.at[ends.iloc[0], "http_error"] >= 1
    assert errors.at[ends.iloc[-1], "stream_error"] >= 1 and errors["stream_error"].sum() == 3
    assert errors[["truncated", "connect_error", "timeout"]].to_numpy().sum() == 0


def test_per_stage_joins_configuration_and_streams(tmp_path):
    frame = make_streams(400)
    fail_streams(frame, frame.index[frame["stage"] == "steady"][:8], "timeout")
    run, tables = _loaded(tmp_path, frame, default_stages())
    stages = per_stage(run, tables)
    assert list(stages.index) == ["warmup", "steady"]
    steady = frame["stage"] == "steady"
    assert stages.at["steady", "streams"] == steady.sum()
    assert stages.at["steady", "error_rate"] == 8 / steady.sum()
    assert stages.at["steady", "start_s"] == 30.0 and stages.at["steady", "rate"] == 15.0
    assert stages.at["warmup", "started_per_s"] == (~steady).sum() / 30.0
    ok_steady = steady & (frame["outcome"] == "ok")
    e2e = (frame["end"] - frame["scheduled"])[ok_steady]
    assert stages.at["steady", "e2e_p99"] == weighted_quantile(e2e, [0.99])[0]


def test_very_long_runs_get_wider_windows(tmp_path):
    from analysis.verdict import analyse
    from analysis.windows import MAX_WINDOWS

    frame = make_streams(20)
    frame.loc[0, "end"] = T0 + 400_000.0  # a stream that ended ~111 hours after the start
    analysis = analyse(load_for_report(write_run(tmp_path, frame)))
    assert analysis.window_s == 30.0
    assert len(analysis.windows) <= MAX_WINDOWS and analysis.windows["started"].sum() == 20
