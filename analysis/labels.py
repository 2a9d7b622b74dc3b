"""Vectorised helpers for the low-cardinality string columns (categoricals), never materialising strings.

Codes are the categorical codes, -1 for null. A lookup array with one entry per label plus a last entry for
null can be indexed with the codes directly: numpy's negative indexing maps -1 to that last entry.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

MISSING = "missing"


def label_codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(integer code per row, -1 for null; label of each code)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), [str(c) for c in column.cat.categories]
    codes, uniques = pd.factorize(column)
    return codes, [str(u) for u in uniques]


def slot_codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Non-negative codes: label i -> i, null -> len(labels) (the `MISSING` slot); labels end with MISSING."""
    codes, names = label_codes(column)
    return codes.astype(np.intp) % (len(names) + 1), [*names, MISSING]


def mask_in(column: pd.Series, labels: Iterable[str], null: bool = False) -> np.ndarray:
    """Rows whose label is one of `labels` (null rows: `null`)."""
    codes, names = label_codes(column)
    wanted = set(labels)
    lookup = np.array([name in wanted for name in names] + [null], dtype=bool)
    return lookup[codes]


def counts(column: pd.Series, rows: np.ndarray | None = None) -> dict[str, int]:
    """label -> number of rows (optionally only `rows`), nulls counted as "missing", most frequent first."""
    codes, names = slot_codes(column)
    tally = np.bincount(codes if rows is None else codes[rows], minlength=len(names))
    pairs = [(name, int(n)) for name, n in zip(names, tally, strict=True) if n]
    return dict(sorted(pairs, key=lambda p: -p[1]))
