"""One stream attempt as the client saw it: the row type of ``streams.parquet``.

The columns, their order and their Arrow types are those of the contract (:mod:`rundir.columns`, described in
``docs/run-directory.md``). A time that was never reached is ``None`` (null in parquet). :class:`GapStats`
summarises the gaps between content events of one stream in O(1) memory beyond a bounded reservoir: mean and
max are exact; p50/p99 are exact while the stream has at most ``GAP_RESERVOIR`` gaps and are estimated from a
uniform reservoir of that size beyond it; ``gap_sample`` is a uniform sample of up to 8 of the stream's gaps
(drawn from the same reservoir, which is itself uniform, so the sample stays uniform).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rundir import metrics
from rundir.columns import STREAM_COLUMNS
from rundir.layout import CONNECT_ERROR

if TYPE_CHECKING:
    import pyarrow as pa

GAP_RESERVOIR = 512
GAP_SAMPLE = 8


def arrow_schema() -> pa.Schema:
    """The Arrow schema of ``streams.parquet`` (:data:`rundir.schemas.STREAMS_SCHEMA`).

    pyarrow is imported here, not at module import: it costs a second of start-up in every Locust process
    (and gevent's cached loop clock then makes ``locust -t`` fire early by that much).
    """
    from rundir.schemas import STREAMS_SCHEMA

    return STREAMS_SCHEMA


class GapStats:
    """Running summary of the gaps between consecutive content events of one stream."""

    __slots__ = ("count", "max", "reservoir", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.max = 0.0
        self.reservoir: list[float] = []

    def add(self, gap: float) -> None:
        """Add one gap (seconds). O(1); one random draw per gap only past the reservoir size."""
        self.count += 1
        self.total += gap
        if gap > self.max:
            self.max = gap
        if self.count <= GAP_RESERVOIR:
            self.reservoir.append(gap)
        else:
            slot = random.randrange(self.count)
            if slot < GAP_RESERVOIR:
                self.reservoir[slot] = gap

    def summary(self) -> tuple[float | None, float | None, float | None, float | None, list[float]]:
        """``(mean, p50, p99, max, sample)``; all ``None`` and an empty sample when there was no gap."""
        if not self.count:
            return None, None, None, None, []
        ordered = sorted(self.reservoir)
        sample = ordered if len(ordered) <= GAP_SAMPLE else random.sample(self.reservoir, GAP_SAMPLE)
        p50, p99 = metrics.nearest_rank(ordered, 0.5), metrics.nearest_rank(ordered, 0.99)
        return self.total / self.count, p50, p99, self.max, sample


@dataclass(slots=True)
class StreamRecord:
    """One row of ``streams.parquet``; see ``docs/run-directory.md`` for the meaning of each column."""

    stream_id: str
    worker: str
    endpoint: str
    stage: str
    open_loop: bool
    scheduled: float | None = None
    sent: float | None = None
    headers: float | None = None
    first_token: float | None = None
    last_token: float | None = None
    end: float | None = None
    status: int = 0
    outcome: str = CONNECT_ERROR
    error: str | None = None
    events: int = 0
    bytes: int = 0
    usage_tokens: int | None = None
    gap_count: int = 0
    gap_mean: float | None = None
    gap_p50: float | None = None
    gap_p99: float | None = None
    gap_max: float | None = None
    gap_sample: list[float] = field(default_factory=list)
    pod: str | None = None
    request_id: str | None = None
    agent_id: str | None = None
    prompt_chars: int = 0
    max_tokens: int | None = None
    expected_s: float | None = None

    def set_gaps(self, gaps: GapStats) -> None:
        """Copy a :class:`GapStats` summary into the gap columns."""
        self.gap_count = gaps.count
        self.gap_mean, self.gap_p50, self.gap_p99, self.gap_max, self.gap_sample = gaps.summary()

    @property
    def ttft(self) -> float | None:
        """:func:`rundir.metrics.ttft` (scheduled == sent in closed loop), seconds."""
        if self.first_token is None or self.scheduled is None:
            return None
        return float(metrics.ttft(self.first_token, self.scheduled))

    @property
    def e2e(self) -> float | None:
        """:func:`rundir.metrics.e2e`, seconds."""
        if self.end is None or self.scheduled is None:
            return None
        return float(metrics.e2e(self.end, self.scheduled))

    def to_row(self) -> dict[str, object]:
        """The row as a dict keyed by :data:`STREAM_COLUMNS`, plain Python values of the schema's types."""
        row: dict[str, object] = {name: getattr(self, name) for name in STREAM_COLUMNS}
        row["open_loop"] = bool(self.open_loop)
        row["status"] = int(self.status)
        row["events"] = int(self.events)
        row["bytes"] = int(self.bytes)
        row["gap_count"] = int(self.gap_count)
        row["gap_sample"] = [float(g) for g in self.gap_sample]
        return row
