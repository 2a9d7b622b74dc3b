"""Latency percentiles (TTFT, pooled ITL, TPOT, E2E, dispatch lag) for many groupings of streams at once.

Which streams count (stated in every report):
  ttft, tpot, e2e, itl   streams with outcome ok (failures are judged by the error rate, not by latency)
  dispatch_lag           open-loop streams of any outcome (it measures the load generator, not the server)
A grouping assigns each stream a group (window, stage, endpoint, a check's scope, ...); all groupings of a
metric are computed in the same two passes over the data (see analysis/quantiles.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.derive import PooledGaps
from analysis.quantiles import Batch, GroupedQuantiles
from analysis.rundir import RunData

QUANTILES = (0.5, 0.95, 0.99, 1.0)
QUANTILE_COLUMNS = ("p50", "p95", "p99", "max")
STREAM_METRICS = ("ttft", "tpot", "e2e", "dispatch_lag")
METRICS = ("ttft", "itl", "tpot", "e2e", "dispatch_lag")
ROWS_PER_BATCH = 2_000_000  # per-stream metrics: one value per row
GAP_ROWS_PER_BATCH = 250_000  # pooled ITL: up to 8 values per row, keeps the temporaries near 100 MB


@dataclass(frozen=True)
class Grouping:
    """`codes[row]` is the group index of each stream row (-1: the row is in no group of this grouping).
    Codes use the smallest signed integer type that fits: 10 M rows of int64 codes would be 80 MB each."""

    name: str
    codes: np.ndarray
    labels: tuple[Any, ...]


def whole_run(n_rows: int) -> Grouping:
    return Grouping("all", np.zeros(n_rows, dtype=np.int8), ("all",))


def by_column(name: str, column: pd.Series) -> Grouping:
    """One group per distinct value of a column (categoricals keep their category order); nulls are skipped."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return Grouping(name, column.cat.codes.to_numpy(), tuple(column.cat.categories))
    codes, labels = pd.factorize(column, sort=True)
    return Grouping(name, codes.astype(np.min_scalar_type(-max(len(labels), 1))), tuple(labels))


def by_mask(name: str, mask: np.ndarray, label: Any = "selected") -> Grouping:
    return Grouping(name, np.where(mask, 0, -1).astype(np.int8), (label,))


def is_ok(run: RunData) -> np.ndarray:
    return (run.streams["outcome"] == "ok").to_numpy(bool, na_value=False)


def stream_metric(run: RunData, metric: str) -> np.ndarray:
    """Per-stream values of a metric with the rows that do not count set to NaN."""
    values = run.streams[metric].to_numpy(np.float64, copy=True)
    if metric == "dispatch_lag":
        values[~run.streams["open_loop"].to_numpy(bool, na_value=False)] = np.nan
    else:
        values[~is_ok(run)] = np.nan
    return values


@dataclass
class LatencyTables:
    """Quantile frames keyed by (metric, grouping name): index = group label, columns n, weight, p50..max."""

    tables: dict[tuple[str, str], pd.DataFrame]

    def get(self, metric: str, grouping: str) -> pd.DataFrame:
        return self.tables[(metric, grouping)]

    def value(self, metric: str, grouping: str, label: Any, column: str) -> float:
        frame = self.tables[(metric, grouping)]
        return float(frame.at[label, column]) if label in frame.index else float("nan")


def partition(groupings: Sequence[Grouping], n_rows: int) -> tuple[np.ndarray, int, list[np.ndarray]]:
    """The finest cells the groupings agree on: (cell of each row, number of cells, group of each cell)."""
    combined = np.zeros(n_rows, dtype=np.int64)
    radix = []
    size = 1
    for g in groupings:
        combined += (g.codes.astype(np.int64) + 1) * size
        radix.append(size)
        size *= len(g.labels) + 1
    if size <= 1 << 26:
        combos = np.flatnonzero(np.bincount(combined, minlength=size))
        remap = np.full(size, -1, dtype=np.int64)
        remap[combos] = np.arange(len(combos))
        cell_of_row = remap[combined].astype(np.int32)
    else:
        combos, inverse = np.unique(combined, return_inverse=True)
        cell_of_row = inverse.astype(np.int32)
    group_of_cell = [(combos // r) % (len(g.labels) + 1) - 1 for g, r in zip(groupings, radix, strict=True)]
    return cell_of_row, len(combos), group_of_cell


def _stream_batches(values: np.ndarray, cells: np.ndarray) -> Iterator[Batch]:
    for start in range(0, len(values), ROWS_PER_BATCH):
        end = start + ROWS_PER_BATCH
        yield Batch(values[start:end], None, cells[start:end])


def _itl_batches(pooled: PooledGaps, ok: np.ndarray, cells: np.ndarray) -> Iterator[Batch]:
    for b in pooled.batches(GAP_ROWS_PER_BATCH):
        rows = slice(b.first_row, b.first_row + len(b.lengths))
        yield Batch(b.values, b.weights, np.repeat(np.where(ok[rows], cells[rows], -1), b.lengths))


def latency_quantiles(
    run: RunData, groupings: Sequence[Grouping], metrics: Sequence[str] = METRICS
) -> LatencyTables:
    """Exact p50/p95/p99/max of each metric for every group of every grouping."""
    cells, n_cells, group_of_cell = partition(groupings, len(run.streams))
    engine = GroupedQuantiles(n_cells, group_of_cell, [len(g.labels) for g in groupings], QUANTILES)
    tables: dict[tuple[str, str], pd.DataFrame] = {}
    for metric in metrics:
        if metric == "itl":
            if run.gaps is None:
                continue
            pooled = PooledGaps.build(run.gaps, run.streams["gap_count"])
            ok = is_ok(run)
            results = engine.compute(functools.partial(_itl_batches, pooled, ok, cells))
        else:
            values = stream_metric(run, metric)
            results = engine.compute(functools.partial(_stream_batches, values, cells))
            del values
        for g, result in zip(groupings, results, strict=True):
            frame = pd.DataFrame(result.values, columns=list(QUANTILE_COLUMNS))
            frame.insert(0, "weight", result.weight)
            frame.insert(0, "n", result.count)
            frame.index = pd.Index(g.labels, name=g.name)
            tables[(metric, g.name)] = frame
    return LatencyTables(tables)
