"""The per-stream metric formulas, each defined once; the reports state them in these words.

Every input is a column of ``streams.parquet`` (epoch seconds). The functions work on floats and, unchanged, on
numpy arrays or pandas Series (vectorised subtraction), so the load plane (``StreamRecord``, Locust's own
statistics) and the verdict pipeline compute the same numbers.

  ttft         = first_token - scheduled   (closed loop: scheduled == sent, so one formula serves both)
  dispatch_lag = sent - scheduled
  e2e          = end - scheduled
  tpot         = (last_token - first_token) / (events - 1), only for streams with events >= 2
  pXX          = nearest rank: the smallest value with at least XX % of the observations at or below it
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# metric -> (later column, earlier column): the metric is later - earlier
DIFFERENCES: dict[str, tuple[str, str]] = {
    "ttft": ("first_token", "scheduled"),
    "dispatch_lag": ("sent", "scheduled"),
    "e2e": ("end", "scheduled"),
}


def ttft(first_token: Any, scheduled: Any) -> Any:
    """Time to first token: ``first_token - scheduled``."""
    return first_token - scheduled


def e2e(end: Any, scheduled: Any) -> Any:
    """End to end: ``end - scheduled``."""
    return end - scheduled


def dispatch_lag(sent: Any, scheduled: Any) -> Any:
    """How late the load generator sent the request: ``sent - scheduled``."""
    return sent - scheduled


def nearest_rank(ordered: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-quantile (0 < q <= 1) of a sorted, non-empty sequence: ``ordered[ceil(q n) - 1]``
    (numpy's ``method="inverted_cdf"``); no interpolation, so the result is always an observed value."""
    if not ordered or not 0.0 < q <= 1.0:
        raise ValueError(f"nearest_rank: needs a non-empty sequence and 0 < q <= 1 (got {len(ordered)} values, q={q})")
    n = len(ordered)
    return ordered[max(math.ceil(q * n - 1e-12 * n), 1) - 1]  # the tolerance absorbs q * n rounding up
