"""StreamRecord rows match the streams.parquet schema of docs/run-directory.md; gap summaries are right."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loadtests.record import GAP_RESERVOIR, GapStats, StreamRecord, arrow_schema
from rundir.columns import STREAM_COLUMNS

DOC = Path(__file__).resolve().parents[2] / "docs" / "run-directory.md"
TYPES = {"string": pa.string(), "bool": pa.bool_(), "float64": pa.float64(), "int32": pa.int32(),
         "int64": pa.int64(), "list<float32>": pa.list_(pa.float32())}


def documented_columns() -> list[tuple[str, pa.DataType]]:
    """(name, type) rows of the streams.parquet table in docs/run-directory.md (``a, b, c | float64`` rows)."""
    section = DOC.read_text().split("## streams.parquet", 1)[1].split("\n## ", 1)[0]
    out = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("column", "") or set(cells[0]) <= {"-"}:
            continue
        for name in cells[0].split(","):
            out.append((name.strip(), TYPES[cells[1]]))
    return out


def test_columns_and_types_match_the_documented_schema() -> None:
    documented = documented_columns()
    assert list(STREAM_COLUMNS) == [name for name, _ in documented]
    schema = arrow_schema()
    assert [(f.name, f.type) for f in schema] == documented


def full_record() -> StreamRecord:
    rec = StreamRecord(stream_id="w0-1", worker="w0", endpoint="agent_run", stage="high", open_loop=True,
                       scheduled=1.0, sent=1.1, headers=1.2, first_token=1.3, last_token=1.9, end=2.0, status=200,
                       outcome="ok", events=4, bytes=999, usage_tokens=4, pod="p", request_id="r", agent_id="a",
                       prompt_chars=10, max_tokens=None)
    gaps = GapStats()
    for gap in (0.2, 0.2, 0.2):
        gaps.add(gap)
    rec.set_gaps(gaps)
    return rec


def test_rows_round_trip_through_parquet(tmp_path: Path) -> None:
    empty = StreamRecord(stream_id="w0-2", worker="w0", endpoint="native_chat", stage="s", open_loop=False)
    rows = [full_record().to_row(), empty.to_row()]
    assert all(list(row) == list(STREAM_COLUMNS) for row in rows)
    table = pa.Table.from_pylist(rows, schema=arrow_schema())
    pq.write_table(table, tmp_path / "streams.parquet")
    back = pq.read_table(tmp_path / "streams.parquet").to_pylist()
    assert back[0]["gap_sample"] == pytest.approx([0.2, 0.2, 0.2]) and back[0]["gap_count"] == 3
    assert back[1]["first_token"] is None and back[1]["gap_mean"] is None and back[1]["gap_sample"] == []
    assert back[1]["outcome"] == "connect_error" and back[1]["status"] == 0


def test_ttft_and_e2e_use_the_scheduled_time() -> None:
    rec = full_record()
    assert rec.ttft == pytest.approx(0.3) and rec.e2e == pytest.approx(1.0)


@pytest.mark.parametrize("n", [1, 2, 9, GAP_RESERVOIR, GAP_RESERVOIR * 5])
def test_gap_summary(n: int) -> None:
    rng = random.Random(n)
    gaps = [rng.expovariate(50) for _ in range(n)]
    stats = GapStats()
    for gap in gaps:
        stats.add(gap)
    mean, p50, p99, top, sample = stats.summary()
    ordered = sorted(gaps)
    assert stats.count == n and mean == pytest.approx(sum(gaps) / n) and top == max(gaps)
    assert len(stats.reservoir) == min(n, GAP_RESERVOIR)
    assert len(sample) == min(n, 8) and set(sample) <= set(gaps)
    if n <= GAP_RESERVOIR:  # exact, nearest rank (the report's stated formula): ordered[ceil(q n) - 1]
        assert p50 == ordered[math.ceil(0.5 * n) - 1] and p99 == ordered[math.ceil(0.99 * n) - 1]
    else:  # estimated from a uniform reservoir: close to the true quantiles
        assert abs(p50 - ordered[n // 2]) < 0.2 * ordered[n // 2]
        assert abs(p99 - ordered[int(n * 0.99)]) < 0.35 * ordered[int(n * 0.99)]


def test_gap_sample_is_uniform_over_a_long_stream() -> None:
    stats = GapStats()
    for i in range(20_000):
        stats.add(float(i))
    picks = [g for _ in range(200) for g in stats.summary()[4]]
    assert 7_000 < sum(picks) / len(picks) < 13_000  # a late-biased or early-biased sample fails this
