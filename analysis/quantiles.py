"""Exact weighted quantiles (nearest rank / inverted CDF), for many groupings over data streamed in batches.

Definition used everywhere in the reports: the q-quantile of values x_i with weights w_i is the smallest x
such that the total weight of values <= x is at least q * (total weight). With unit weights this is the
nearest-rank percentile (numpy's method="inverted_cdf"); no interpolation, so every reported percentile is a
value that was actually observed. A relative tolerance of 1e-12 of the total weight absorbs float rounding
(0.95 * 20 = 19.000000000000004 must still select rank 19).

`GroupedQuantiles` computes this exactly without sorting all values. Every value belongs to one *cell* (the
finest partition, e.g. window x endpoint x stage); each grouping maps cells to its groups. Pass 1 adds the
weights into a histogram per cell whose bins come from the float bits (exponent and 4-8 mantissa bits,
monotone, no logarithm); group histograms are sums of cell rows and locate the bin holding each
quantile. Pass 2 keeps only the values falling into those bins and resolves them exactly by sorting that
small remainder. The binning affects speed only, never the result. Memory: at most HIST_BUDGET float64.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

TOLERANCE = 1e-12
_VMIN, _VMAX = 1e-4, 1e4  # values at or below 0.1 ms (also zero and negative ones) share the first bin
HIST_BUDGET = 1 << 22  # histogram entries (32 MiB of float64): decides how fine the bins can be
KEY_CACHE_BUDGET = 1 << 24  # keys (int32, 64 MiB) kept from pass 1 for pass 2 instead of recomputing them


@dataclass(frozen=True)
class Binning:
    """Bins from the IEEE-754 bits of a value: exponent plus the top `bits` mantissa bits (2**bits bins per
    power of two, e.g. 7 bits: 0.55 % wide). Monotone in the value, no logarithm; identical for float32 and
    float64 inputs."""

    bits: int

    def raw(self, values: np.ndarray) -> np.ndarray:
        if values.dtype == np.float32:
            return np.maximum(values, np.float32(_VMIN)).view(np.int32) >> (23 - self.bits)
        return np.maximum(values.astype(np.float64, copy=False), _VMIN).view(np.int64) >> (52 - self.bits)

    def base(self, dtype: np.dtype) -> int:
        return int(self.raw(np.array([_VMIN], dtype=dtype if dtype == np.float32 else np.float64))[0])

    @property
    def n_bins(self) -> int:
        return int(self.raw(np.array([_VMAX]))[0]) - self.base(np.dtype(np.float64)) + 1  # last: all above 1e4

    def of(self, values: np.ndarray) -> np.ndarray:
        """Bin of each finite value in [0, n_bins); non-finite values get arbitrary bins (callers drop them)."""
        raw = self.raw(values) - self.base(values.dtype)
        return np.minimum(raw, self.n_bins - 1)

    @classmethod
    def for_cells(cls, n_cells: int, budget: int = HIST_BUDGET) -> Binning:
        """The finest binning (4 to 8 bits) whose histogram of all cells fits `budget` entries."""
        for bits in range(8, 4, -1):
            if (n_cells + 1) * cls(bits).n_bins <= budget:
                return cls(bits)
        return cls(4)


def weighted_quantile(values: object, qs: Sequence[float], weights: object = None) -> np.ndarray:
    """Reference implementation by full sort (use for small data; `GroupedQuantiles` for big data)."""
    v = np.asarray(values, dtype=np.float64)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = np.isfinite(v) & (w > 0)
    v, w = v[keep], w[keep]
    if not len(v):
        return np.full(len(qs), np.nan)
    order = np.argsort(v, kind="stable")
    v, cum = v[order], np.cumsum(w[order])
    total = cum[-1]
    targets = np.asarray(qs, dtype=np.float64) * total - TOLERANCE * total
    idx = np.minimum(np.searchsorted(cum, targets, side="left"), len(v) - 1)
    return v[idx]


@dataclass
class Batch:
    """Values (float32 or float64), optional weights, and the cell of each value (-1: in no cell)."""

    values: np.ndarray
    weights: np.ndarray | None
    cells: np.ndarray


@dataclass
class QuantileResult:
    values: np.ndarray  # (n_groups, len(qs)), NaN for empty groups
    count: np.ndarray  # observations per group
    weight: np.ndarray  # total weight per group


def _sum_rows(rows: np.ndarray, group_of_cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(groups that have cells, the sum of their cells' rows): sort cells by group, then reduceat. Only
    groups with cells get a row, so a grouping with many empty groups (windows) costs nothing extra."""
    cells = np.flatnonzero(group_of_cell >= 0)
    if not len(cells):
        return np.zeros(0, np.int64), np.zeros((0, *rows.shape[1:]), dtype=rows.dtype)
    cells = cells[np.argsort(group_of_cell[cells], kind="stable")]
    groups = group_of_cell[cells]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(groups)) + 1])
    return groups[starts], np.add.reduceat(rows[cells], starts, axis=0)


class GroupedQuantiles:
    """Exact weighted quantiles per group of several groupings, in two passes over `source()`."""

    def __init__(
        self,
        n_cells: int,
        group_of_cell: Sequence[np.ndarray],
        sizes: Sequence[int],
        qs: Sequence[float],
        hist_budget: int = HIST_BUDGET,
        key_cache: int = KEY_CACHE_BUDGET,
    ) -> None:
        self.n_cells = n_cells
        self.group_of_cell = [np.asarray(g, dtype=np.int64) for g in group_of_cell]
        self.sizes = list(sizes)
        self.qs = np.asarray(qs, dtype=np.float64)
        self.key_cache = key_cache
        self.binning = Binning.for_cells(n_cells, hist_budget)
        self.n_bins = self.binning.n_bins

    def _keys(self, batch: Batch) -> np.ndarray:
        """key = cell * n_bins + bin per value; excluded values get the trash cell's first key."""
        valid = np.isfinite(batch.values) & (batch.cells >= 0)
        if batch.weights is not None:
            valid &= batch.weights > 0
        keys = batch.cells.astype(np.int64) * self.n_bins + self.binning.of(batch.values)
        return np.where(valid, keys, self.n_cells * self.n_bins)

    def compute(self, source: Callable[[], Iterable[Batch]]) -> list[QuantileResult]:
        size = (self.n_cells + 1) * self.n_bins
        hist: np.ndarray = np.zeros(size)
        count = None  # observations per key, kept apart only when weights are not all 1
        cached: list[np.ndarray] = []
        cached_size = 0
        for batch in source():
            keys = self._keys(batch)
            hist += np.bincount(keys, weights=batch.weights, minlength=size)
            if batch.weights is not None:
                count = np.bincount(keys, minlength=size) + (0 if count is None else count)
            cached_size += len(keys)
            if cached_size <= self.key_cache:
                cached.append(keys.astype(np.int32))
        hist = hist.reshape(self.n_cells + 1, self.n_bins)
        counts = hist if count is None else count.reshape(self.n_cells + 1, self.n_bins)
        cell_count = counts.sum(axis=1)
        plans = [self._plan(hist, g, n) for g, n in zip(self.group_of_cell, self.sizes, strict=True)]
        values = self._resolve(source, plans, cached)
        results = []
        for v, g, n, plan in zip(values, self.group_of_cell, self.sizes, plans, strict=True):
            present, sums = _sum_rows(cell_count, g)
            group_count = np.zeros(n, dtype=np.int64)
            group_count[present] = np.rint(sums).astype(np.int64)
            results.append(QuantileResult(v, group_count, plan[2]))
        return results

    def _plan(self, hist: np.ndarray, group_of_cell: np.ndarray, n_groups: int) -> tuple:
        """_locate for the groups that have cells, spread out to all `n_groups` (empty ones: total 0)."""
        present, rows = _sum_rows(hist, group_of_cell)
        bin_of = np.zeros((n_groups, len(self.qs)), dtype=np.int64)
        residual = np.zeros((n_groups, len(self.qs)))
        total = np.zeros(n_groups)
        if len(present):
            bin_of[present], residual[present], total[present] = self._locate(rows)
        return bin_of, residual, total

    def _locate(self, group_hist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per group and quantile: the bin holding it and the weight still needed inside that bin."""
        cum = np.cumsum(group_hist, axis=1)
        total = cum[:, -1]
        targets = self.qs[None, :] * total[:, None] - TOLERANCE * total[:, None]
        bin_of = np.stack([np.argmax(cum >= targets[:, j : j + 1], axis=1) for j in range(len(self.qs))], axis=1)
        before = np.where(bin_of > 0, np.take_along_axis(cum, np.maximum(bin_of - 1, 0), axis=1), 0.0)
        return bin_of, targets - before, total

    def _resolve(
        self, source: Callable[[], Iterable[Batch]], plans: list, cached: list[np.ndarray]
    ) -> list[np.ndarray]:
        """Pass 2 (`source()` must yield the same batches again; the first ones' keys may be `cached`)."""
        nb = self.n_bins
        wanted = np.zeros((self.n_cells + 1) * nb, dtype=bool)
        for g, (bin_of, _, total) in zip(self.group_of_cell, plans, strict=True):
            cells = np.flatnonzero((g >= 0) & (total[np.maximum(g, 0)] > 0))
            wanted[(cells[:, None] * nb + bin_of[g[cells]]).ravel()] = True
        keys, values, weights = [], [], []
        for i, batch in enumerate(source()):
            key = cached[i] if i < len(cached) else self._keys(batch)
            keep = wanted[key]  # the trash cell is never wanted
            keys.append(key[keep].astype(np.int64))
            values.append(batch.values[keep].astype(np.float64))
            weights.append(np.ones(int(keep.sum())) if batch.weights is None else batch.weights[keep])
        key = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        value = np.concatenate(values) if values else np.zeros(0)
        weight = np.concatenate(weights) if weights else np.zeros(0)
        return [
            _exact(key, value, weight, g, n, nb, plan)
            for g, n, plan in zip(self.group_of_cell, self.sizes, plans, strict=True)
        ]


def _exact(
    key: np.ndarray,
    value: np.ndarray,
    weight: np.ndarray,
    group_of_cell: np.ndarray,
    n_groups: int,
    n_bins: int,
    plan: tuple,
) -> np.ndarray:
    """Resolve one grouping: sort its candidate values per (group, bin) and walk to the residual weight."""
    bin_of, residual, total = plan
    out = np.full(bin_of.shape, np.nan)
    group = group_of_cell[key // n_bins]  # candidate keys never lie in the trash cell
    slot = group * n_bins + key % n_bins
    selected = np.zeros(n_groups * n_bins + 1, dtype=bool)
    nonempty = np.flatnonzero(total > 0)
    selected[(nonempty[:, None] * n_bins + bin_of[nonempty]).ravel()] = True
    mine = selected[np.where(group >= 0, slot, n_groups * n_bins)]
    slot, v, w = slot[mine], value[mine], weight[mine]
    order = np.lexsort((v, slot))
    slot, v, cum = slot[order], v[order], np.cumsum(w[order])
    g_idx, q_idx = np.nonzero(np.broadcast_to((total > 0)[:, None], bin_of.shape))
    target = g_idx * n_bins + bin_of[g_idx, q_idx]
    lo = np.searchsorted(slot, target, side="left")
    hi = np.searchsorted(slot, target, side="right")
    if not len(v):
        return out
    base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
    idx = np.searchsorted(cum, base + residual[g_idx, q_idx], side="left")
    out[g_idx, q_idx] = v[np.clip(idx, lo, np.maximum(hi - 1, lo))]
    return out
