"""StreamLookup names rows of a multi-file, multi-row-group run by reading only the batches that hold them."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from analysis import exemplars
from analysis.exemplars import StreamLookup


def _write(path, first, rows, row_group):
    ids = [f"s{first + i}" for i in range(rows)]
    table = pa.table({"stream_id": ids, "request_id": [f"r{first + i}" for i in range(rows)],
                      "pod": [f"agentflow-{(first + i) % 3}" for i in range(rows)]})
    pq.write_table(table, path, row_group_size=row_group)


def test_rows_across_files_row_groups_and_batches_are_named(tmp_path, monkeypatch):
    monkeypatch.setattr(exemplars, "BATCH_ROWS", 7)  # several batches per row group
    _write(tmp_path / "a.parquet", 0, 50, 20)
    _write(tmp_path / "b.parquet", 50, 30, 11)
    rows = [0, 6, 7, 19, 20, 49, 50, 61, 79]
    names = StreamLookup([tmp_path / "a.parquet", tmp_path / "b.parquet"]).describe(rows)
    assert names == {r: f"stream s{r} (request_id r{r}, pod agentflow-{r % 3})" for r in rows}


def test_rows_outside_the_files_and_unreadable_files_give_no_names(tmp_path):
    _write(tmp_path / "a.parquet", 0, 10, 4)
    assert StreamLookup([tmp_path / "a.parquet"]).describe([10, 99]) == {}
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    assert StreamLookup([tmp_path / "bad.parquet"]).describe([1]) == {}
