"""Derived per-stream columns and the pooled inter-token-latency (ITL) sample, all vectorised.

Formulas (stated in every report):
  ttft         = first_token - scheduled   (closed loop: scheduled == sent, so one formula serves both)
  dispatch_lag = sent - scheduled
  e2e          = end - scheduled
  tpot         = (last_token - first_token) / (events - 1), only for streams with events >= 2
Pooled ITL: every value of a stream's `gap_sample` list weighs gap_count / len(gap_sample), so the pooled
distribution stands for all gaps of all streams although at most 8 per stream are stored. A stream whose
gap_count is smaller than its sample (inconsistent writer) weighs 1 per sample.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rundir.metrics import DIFFERENCES

DERIVED = DIFFERENCES  # the formulas are the contract's (rundir.metrics), stated above in its words


def add_derived(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ttft, dispatch_lag, e2e and tpot (float64 seconds, NaN when undefined) where inputs exist."""
    for name, (later, earlier) in DERIVED.items():
        if later in frame.columns and earlier in frame.columns:
            frame[name] = frame[later].to_numpy(np.float64) - frame[earlier].to_numpy(np.float64)
    if {"first_token", "last_token", "events"} <= set(frame.columns):
        span = frame["last_token"].to_numpy(np.float64) - frame["first_token"].to_numpy(np.float64)
        gaps = frame["events"].to_numpy(np.float64, na_value=np.nan) - 1.0  # in place: 10 M rows are big
        span[~(gaps >= 1)] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(span, gaps, out=span)
        frame["tpot"] = span
    return frame


def _as_chunked(gap_sample: pa.ChunkedArray | pa.Array | pd.Series) -> pa.ChunkedArray:
    if isinstance(gap_sample, pd.Series):
        gap_sample = pa.array(gap_sample.array)
    if isinstance(gap_sample, pa.Array):
        gap_sample = pa.chunked_array([gap_sample])
    return gap_sample


@dataclass
class PooledGaps:
    """The gap_sample lists of a run with their per-stream weights, iterated in row batches."""

    lists: pa.ChunkedArray
    gap_count: np.ndarray

    @classmethod
    def build(cls, gap_sample: pa.ChunkedArray | pa.Array | pd.Series, gap_count: object) -> PooledGaps:
        lists = _as_chunked(gap_sample)
        counts = pd.Series(gap_count).fillna(0).to_numpy()
        if len(lists) != len(counts):
            raise ValueError(f"gap_sample has {len(lists)} rows but gap_count has {len(counts)}")
        return cls(lists, counts)

    def batches(self, max_rows: int = 1_000_000) -> Iterator[GapBatch]:
        """Consecutive row ranges of the run with their flattened samples (float32) and per-sample weights."""
        row = 0
        for chunk in self.lists.chunks:
            for offset in range(0, len(chunk), max_rows):
                part = chunk.slice(offset, max_rows)
                lengths = pc.list_value_length(part).fill_null(0).to_numpy(zero_copy_only=False)
                values = pc.list_flatten(part).to_numpy(zero_copy_only=False)
                counts = self.gap_count[row : row + len(part)].astype(np.float64)
                with np.errstate(divide="ignore", invalid="ignore"):
                    per_stream = np.where(lengths > 0, np.maximum(counts, lengths) / np.maximum(lengths, 1), 0)
                yield GapBatch(row, lengths, values, np.repeat(per_stream, lengths))
                row += len(part)


@dataclass
class GapBatch:
    """Samples of rows [first_row, first_row + len(lengths)): `lengths[i]` samples belong to row first_row+i."""

    first_row: int
    lengths: np.ndarray
    values: np.ndarray
    weights: np.ndarray

    def parent_rows(self) -> np.ndarray:
        return self.first_row + np.repeat(np.arange(len(self.lengths)), self.lengths)


def pooled_itl(gap_sample: pa.ChunkedArray | pa.Array | pd.Series, gap_count: object) -> pd.DataFrame:
    """The exploded pooled ITL sample: one row per sampled gap with columns row (stream row), gap, weight."""
    batches = list(PooledGaps.build(gap_sample, gap_count).batches())
    if not batches:
        return pd.DataFrame({"row": np.zeros(0, np.int64), "gap": np.zeros(0), "weight": np.zeros(0)})
    return pd.DataFrame(
        {
            "row": np.concatenate([b.parent_rows() for b in batches]),
            "gap": np.concatenate([b.values for b in batches]).astype(np.float64),
            "weight": np.concatenate([b.weights for b in batches]),
        }
    )
