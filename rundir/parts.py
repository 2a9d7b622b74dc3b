"""Crash-safe parquet writing for the run directory: part files while a run goes, one file at the end.

Why part files: a parquet file is readable only once its footer is written, so one long-lived
``ParquetWriter`` on ``streams.parquet`` would leave nothing readable if its writer is killed. During
the run, :class:`PartWriter` buffers rows and writes each batch (every ``flush_rows`` rows or
``flush_seconds`` seconds, and on stop) as a complete small parquet file ``<dir>/part-<tag>-<n>.parquet``,
written under a ``_``-prefixed temporary name and renamed into place, so a part file is either complete or
absent (pyarrow's dataset reader skips ``_``/``.`` files). At the end :func:`consolidate` merges the parts
(and an existing target file, so it can run again after a restart) into the one target file with a
``ParquetWriter`` in row groups of up to ``ROW_GROUP_ROWS`` rows, replaces the target atomically and only
then deletes the parts. A killed run therefore leaves ``streams/part-*.parquet`` (read the folder with
:func:`read_table`, or run :func:`consolidate` to produce ``streams.parquet``). The load generator and the
cluster observer both write this way.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 65536


def warm_up(*schemas: pa.Schema) -> None:
    """Build and serialise one empty-ish table per schema in memory.

    pyarrow's first ``Table.from_pylist`` takes ~0.5 s (lazy imports); done at set-up it does not stall the
    load generator's event loop in the first second of traffic."""
    for schema in schemas:
        table = pa.Table.from_pylist([dict.fromkeys(schema.names)], schema=schema)
        pq.write_table(table, pa.BufferOutputStream())


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` via a temporary file and a rename (never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"_{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


class PartWriter:
    """Buffers rows (dicts keyed by the schema's columns) and writes them as complete part files."""

    def __init__(self, directory: Path, schema: pa.Schema, tag: str, *, flush_rows: int = 500,
                 flush_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.directory = Path(directory)
        self.schema = schema
        self.tag = tag
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self._clock = clock
        self._buffer: list[dict[str, Any]] = []
        self._last_flush = clock()
        self.parts = 0
        self.rows_written = 0

    @property
    def pending(self) -> int:
        """Rows buffered and not yet on disk."""
        return len(self._buffer)

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        """Buffer rows; writes a part as soon as ``flush_rows`` are buffered."""
        self._buffer.extend(rows)
        if len(self._buffer) >= self.flush_rows:
            self.flush()

    def tick(self) -> None:
        """Call periodically: writes a part when rows have waited ``flush_seconds``."""
        if self._buffer and self._clock() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> int:
        """Write all buffered rows as one part file now; returns the rows written."""
        self._last_flush = self._clock()
        if not self._buffer:
            return 0
        rows, self._buffer = self._buffer, []
        table = pa.Table.from_pylist(rows, schema=self.schema)
        write_table_atomic(table, self.directory / f"part-{self.tag}-{self.parts:06d}.parquet")
        self.parts += 1
        self.rows_written += len(rows)
        return len(rows)


def part_files(directory: Path) -> list[Path]:
    """The complete part files of a folder, in name order."""
    return sorted(Path(directory).glob("part-*.parquet")) if Path(directory).is_dir() else []


def consolidate(parts_dir: Path, target: Path, schema: pa.Schema) -> int:
    """Merge ``target`` (if present) and the parts into ``target``; delete the parts; return the row count.

    Always leaves a readable ``target`` (an empty table with the schema when there is no row)."""
    parts = part_files(parts_dir)
    if not parts and target.exists():
        return int(pq.ParquetFile(target).metadata.num_rows)
    sources = ([target] if target.exists() else []) + parts
    tmp = target.with_name(f"_{target.name}.{os.getpid()}.tmp")
    rows = 0
    pending: list[pa.Table] = []
    with pq.ParquetWriter(tmp, schema) as writer:
        for source in sources:
            for batch in pq.ParquetFile(source).iter_batches(batch_size=ROW_GROUP_ROWS):
                pending.append(pa.Table.from_batches([batch]).cast(schema))
                if sum(t.num_rows for t in pending) >= ROW_GROUP_ROWS:
                    rows += _write_group(writer, pending, schema)
                    pending = []
        rows += _write_group(writer, pending, schema)
        if rows == 0:
            writer.write_table(schema.empty_table())
    os.replace(tmp, target)
    for part in parts:
        part.unlink()
    try:
        Path(parts_dir).rmdir()
    except OSError:
        pass
    return rows


def _write_group(writer: pq.ParquetWriter, tables: list[pa.Table], schema: pa.Schema) -> int:
    """Write tables of ``schema`` as one row group; returns the rows written."""
    if not tables:
        return 0
    table = pa.concat_tables(tables)
    if table.num_rows:
        writer.write_table(table, row_group_size=max(table.num_rows, 1))
    return int(table.num_rows)


def read_table(target: Path, parts_dir: Path, schema: pa.Schema) -> pa.Table:
    """All rows of ``target`` plus any part files not consolidated yet (what a killed run left)."""
    sources = ([target] if target.exists() else []) + part_files(parts_dir)
    tables = [pq.read_table(source, schema=schema) for source in sources]
    return pa.concat_tables(tables) if tables else schema.empty_table()
