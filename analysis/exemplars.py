"""Name the streams behind a verdict (stream_id, request_id, pod) without loading those columns for all rows.

Only the parquet row groups holding the wanted rows are read, so naming a few exemplar streams of a
10-million-row run costs one row group per exemplar at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from analysis.schema import STREAMS_FILE

NAME_COLUMNS = ("stream_id", "request_id", "pod")


class StreamLookup:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / STREAMS_FILE

    def describe(self, rows: Sequence[int]) -> dict[int, str]:
        """row -> "stream <id> (request <id>, pod <name>)"; empty when streams.parquet cannot be read."""
        if not rows or not self.path.is_file():
            return {}
        parquet = pq.ParquetFile(self.path)
        present = [c for c in NAME_COLUMNS if c in parquet.schema_arrow.names]
        if "stream_id" not in present:
            return {}
        sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        wanted = np.asarray(sorted(set(int(r) for r in rows)), dtype=np.int64)
        groups = np.searchsorted(starts, wanted, side="right") - 1
        names: dict[int, str] = {}
        for group in np.unique(groups):
            if group < 0 or group >= parquet.num_row_groups:
                continue
            table = parquet.read_row_group(int(group), columns=present)
            local = wanted[groups == group] - starts[group]
            picked = table.take(local).to_pylist()
            for row, record in zip(wanted[groups == group], picked, strict=True):
                names[int(row)] = _label(record)
        return names


def _label(record: dict[str, object]) -> str:
    extras = [f"{key} {record[key]}" for key in ("request_id", "pod") if record.get(key)]
    suffix = f" ({', '.join(extras)})" if extras else ""
    return f"stream {record.get('stream_id')}{suffix}"
