"""Name the streams behind a verdict (stream_id, request_id, pod) without loading those columns for all rows.

Only the parquet row groups holding the wanted rows are read, so naming a few exemplar streams of a
10-million-row run costs one row group per exemplar at most. Works on streams.parquet or on part files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NAME_COLUMNS = ("stream_id", "request_id", "pod")
BATCH_ROWS = 65_536


class StreamLookup:
    """Looks rows up in the files the streams frame was read from (`RunData.stream_files`, in row order)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)

    def _row_groups(self) -> list[tuple[pq.ParquetFile, int, int]]:
        """(file, row group, first row) for every row group of every file."""
        groups, start = [], 0
        for path in self.paths:
            parquet = pq.ParquetFile(path)
            for group in range(parquet.num_row_groups):
                groups.append((parquet, group, start))
                start += parquet.metadata.row_group(group).num_rows
        return groups

    def describe(self, rows: Sequence[int]) -> dict[int, str]:
        """row -> "stream <id> (request_id <id>, pod <name>)"; empty when the files cannot be read."""
        if not rows or not self.paths:
            return {}
        try:
            groups = self._row_groups()
        except (OSError, ValueError):
            return {}
        starts = np.array([g[2] for g in groups] + [np.iinfo(np.int64).max])
        wanted = np.asarray(sorted({int(r) for r in rows}), dtype=np.int64)
        index = np.searchsorted(starts, wanted, side="right") - 1
        names: dict[int, str] = {}
        for i in np.unique(index):
            if not 0 <= i < len(groups):
                continue
            parquet, group, first = groups[i]
            present = [c for c in NAME_COLUMNS if c in parquet.schema_arrow.names]
            if "stream_id" not in present:
                continue
            mine = wanted[index == i]
            start = first  # read the row group in batches, keeping only the wanted rows (not 1 M id strings)
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[group], columns=present):
                inside = mine[(mine >= start) & (mine < start + batch.num_rows)]
                if len(inside):
                    records = batch.take(pa.array(inside - start)).to_pylist()
                    names.update((int(r), _label(rec)) for r, rec in zip(inside, records, strict=True))
                start += batch.num_rows
        return names


def _label(record: dict[str, object]) -> str:
    extras = [f"{key} {record[key]}" for key in ("request_id", "pod") if record.get(key)]
    suffix = f" ({', '.join(extras)})" if extras else ""
    return f"stream {record.get('stream_id')}{suffix}"
