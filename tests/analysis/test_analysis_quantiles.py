"""Exact weighted nearest-rank quantiles: reference vs numpy, grouped streaming engine vs reference."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_runs import make_streams, write_run

from analysis.latency import QUANTILES, by_column, latency_quantiles, whole_run
from analysis.quantiles import Batch, Binning, GroupedQuantiles, weighted_quantile
from analysis.rundir import load_for_report

QS = [0.5, 0.95, 0.99, 1.0]


def test_reference_matches_numpy_inverted_cdf_on_replicated_values():
    rng = np.random.default_rng(3)
    values = rng.lognormal(-3.5, 1.0, 2_000)
    weights = rng.integers(1, 12, 2_000)
    expanded = np.repeat(values, weights)
    expected = np.quantile(expanded, QS, method="inverted_cdf")
    np.testing.assert_array_equal(weighted_quantile(values, QS, weights), expected)


def test_nearest_rank_survives_float_rounding():
    values = np.arange(1, 21, dtype=float)  # 0.95 * 20 = 19.000000000000004 must still give rank 19
    assert weighted_quantile(values, [0.95])[0] == 19.0
    assert weighted_quantile(values, [0.5])[0] == 10.0
    assert weighted_quantile(values, [1.0])[0] == 20.0


def _batches(values, weights, cells, size):
    def source():
        for start in range(0, len(values), size):
            part = slice(start, start + size)
            yield Batch(values[part], None if weights is None else weights[part], cells[part])

    return source


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("hist_budget", "key_cache"),
    [(1 << 22, 1 << 24), (1_000, 20_000)],  # fine bins, all keys cached / coarsest bins, keys recomputed
)
def test_grouped_engine_equals_reference(weighted, dtype, hist_budget, key_cache):
    rng = np.random.default_rng(11)
    n = 50_000
    values = rng.lognormal(-2, 1.6, n).astype(dtype)
    values[:50] = 0.0
    values[50:80] = -0.01  # e.g. clock skew: must not break the binning
    values[80:90] = 5e5  # above the histogram range
    values[90:100] = np.nan
    values[100:105] = np.inf
    weights = rng.uniform(0.5, 9.0, n) if weighted else None
    cells = rng.integers(-1, 40, n)  # -1: in no cell
    identity, merged, everything = np.arange(40), np.arange(40) % 7, np.zeros(40, dtype=np.int64)
    merged[3] = -1  # cell 3 belongs to no group of this grouping
    engine = GroupedQuantiles(40, [identity, merged, everything], [40, 7, 1], QS, hist_budget, key_cache)
    by_cell, by_merged, overall = engine.compute(_batches(values, weights, cells, 7_000))
    w = np.ones(n) if weights is None else weights
    v = values.astype(np.float64)
    for c in range(40):
        rows = cells == c
        np.testing.assert_array_equal(by_cell.values[c], weighted_quantile(v[rows], QS, w[rows]))
        assert by_cell.count[c] == np.isfinite(v[rows]).sum()
    for group in range(7):
        rows = np.isin(cells, np.flatnonzero(merged == group))
        np.testing.assert_array_equal(by_merged.values[group], weighted_quantile(v[rows], QS, w[rows]))
        assert by_merged.weight[group] == pytest.approx(w[rows & np.isfinite(v)].sum())
    np.testing.assert_array_equal(overall.values[0], weighted_quantile(v[cells >= 0], QS, w[cells >= 0]))


def test_binning_is_monotone_and_the_same_for_float32_and_float64():
    values = np.sort(np.random.default_rng(2).lognormal(-3, 3, 200_000))
    for bits in (4, 6, 8):
        binning = Binning(bits)
        b64, b32 = binning.of(values), binning.of(values.astype(np.float32))
        assert (np.diff(b64) >= 0).all() and (np.diff(b32) >= 0).all()
        assert b64.min() == 0 and b64.max() == binning.n_bins - 1
        assert (b64 != b32).mean() < 1e-3  # only values rounded across a bin edge by float32 differ
    assert Binning.for_cells(10).bits == 8 and Binning.for_cells(10_000, 1 << 22).bits < 8


def test_empty_group_is_nan():
    engine = GroupedQuantiles(2, [np.array([0, 1])], [2], QS)
    (result,) = engine.compute(_batches(np.array([0.1, 0.2]), None, np.array([0, 0]), 10))
    assert np.isnan(result.values[1]).all() and result.count[1] == 0
    np.testing.assert_array_equal(result.values[0], [0.1, 0.2, 0.2, 0.2])


def test_pooled_itl_quantiles_match_brute_force(tmp_path):
    frame = make_streams(900, seed=5)
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 9, len(frame))  # 1..8 samples per stream
    frame["gap_sample"] = [list(np.float32(rng.lognormal(-4, 0.7, k))) for k in sizes]
    frame["gap_count"] = (sizes * rng.integers(1, 30, len(frame))).astype(np.int32)  # integer weights
    frame.loc[frame.index[:40], "outcome"] = "truncated"  # not ok: left out of the pooled ITL
    run = load_for_report(write_run(tmp_path, frame))
    tables = latency_quantiles(run, [whole_run(len(frame)), by_column("endpoint", run.streams["endpoint"])])
    ok = frame["outcome"] == "ok"
    expanded = np.concatenate(
        [np.repeat(np.asarray(s, dtype=np.float64), c // len(s)) for s, c in zip(
            frame.loc[ok, "gap_sample"], frame.loc[ok, "gap_count"], strict=True)]
    )
    expected = np.quantile(expanded, QUANTILES, method="inverted_cdf")
    np.testing.assert_array_equal(tables.get("itl", "all").loc["all", ["p50", "p95", "p99", "max"]], expected)
    assert tables.value("itl", "all", "all", "weight") == len(expanded)
    agent = ok & (frame["endpoint"] == "agent_run")
    expanded_agent = np.concatenate(
        [np.repeat(np.asarray(s, dtype=np.float64), c // len(s)) for s, c in zip(
            frame.loc[agent, "gap_sample"], frame.loc[agent, "gap_count"], strict=True)]
    )
    assert tables.value("itl", "endpoint", "agent_run", "p99") == np.quantile(
        expanded_agent, 0.99, method="inverted_cdf"
    )
