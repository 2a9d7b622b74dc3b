"""Crash-safe parquet writing for the run directory, and the row accounting of a distributed run.

Why part files: a parquet file is readable only once its footer is written, so one long-lived
``ParquetWriter`` on ``streams.parquet`` would leave nothing readable if the load generator is killed. During
the run, :class:`PartWriter` buffers rows and writes each batch (every ``flush_rows`` rows or
``flush_seconds`` seconds, and on stop) as a complete small parquet file ``<dir>/part-<tag>-<n>.parquet``,
written under a ``_``-prefixed temporary name and renamed into place, so a part file is either complete or
absent (pyarrow's dataset reader skips ``_``/``.`` files). At the end :func:`consolidate` merges the parts
(and an existing target file, so it can run again after a restart) into the one target file with a
``ParquetWriter`` in row groups of up to ``ROW_GROUP_ROWS`` rows, replaces the target atomically and only
then deletes the parts. A killed run therefore leaves ``streams/part-*.parquet`` (read the folder with
:func:`read_table`, or run :func:`consolidate` to produce ``streams.parquet``).

:class:`Accounting` is pure bookkeeping: the master records each worker batch by (worker, sequence number)
and each worker's final counts, and the report proves that no row was lost or duplicated.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 65536

STAGES_SCHEMA = pa.schema([
    ("stage", pa.string()), ("start", pa.float64()), ("end", pa.float64()), ("users", pa.int32()),
    ("rate", pa.float64()), ("spawn_rate", pa.float64()), ("kind", pa.string()),
])
LOADGEN_SCHEMA = pa.schema([
    ("time", pa.float64()), ("worker", pa.string()), ("cpu_percent", pa.float64()),
    ("active_streams", pa.int32()), ("users", pa.int32()), ("dispatch_lag_p99", pa.float64()),
    ("dropped", pa.int32()),
])


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
        return pq.ParquetFile(target).metadata.num_rows
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
    return table.num_rows


def read_table(target: Path, parts_dir: Path, schema: pa.Schema) -> pa.Table:
    """All rows of ``target`` plus any part files not consolidated yet (what a killed run left)."""
    sources = ([target] if target.exists() else []) + part_files(parts_dir)
    tables = [pq.read_table(source, schema=schema) for source in sources]
    return pa.concat_tables(tables) if tables else schema.empty_table()


class StageLog:
    """The stages actually run (``load/stages.parquet``), rewritten atomically at every change.

    A stage is opened with its planned end; :meth:`close` ends the current one (at its planned end, or at
    ``now`` if that is earlier: a stopped run). A stage still open in the file has a null ``end``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.rows: list[dict[str, Any]] = []
        self._planned: list[float] = []

    def open(self, *, stage: str, kind: str, start: float, planned_end: float, users: int | None = None,
             rate: float | None = None, spawn_rate: float | None = None) -> None:
        """Start a stage (closing the previous one first) and write the file."""
        self.close(planned_end=start)
        self.rows.append({"stage": stage, "start": start, "end": None, "users": users, "rate": rate,
                          "spawn_rate": spawn_rate, "kind": kind})
        self._planned.append(planned_end)
        self.write()

    def close(self, now: float | None = None, planned_end: float | None = None) -> None:
        """End the open stage at ``min(now, its planned end)`` (or at ``planned_end``) and write the file."""
        if not self.rows or self.rows[-1]["end"] is not None:
            return
        end = planned_end if planned_end is not None else self._planned[-1]
        self.rows[-1]["end"] = end if now is None else min(now, end)
        self.write()

    def write(self) -> None:
        write_table_atomic(pa.Table.from_pylist(self.rows, schema=STAGES_SCHEMA), self.path)


@dataclass
class WorkerLedger:
    """What the master received from one worker."""

    seqs: set[int] = field(default_factory=set)
    rows: int = 0
    duplicate_batches: int = 0
    final: dict[str, int] | None = None


class Accounting:
    """Per-worker batch bookkeeping on the receiving side (master, or the local process)."""

    def __init__(self) -> None:
        self.workers: dict[str, WorkerLedger] = {}

    def receive(self, worker: str, seq: int, rows: int) -> bool:
        """Record batch ``seq`` of ``worker``; False (do not store it) when it was already received."""
        ledger = self.workers.setdefault(worker, WorkerLedger())
        if seq in ledger.seqs:
            ledger.duplicate_batches += 1
            return False
        ledger.seqs.add(seq)
        ledger.rows += rows
        return True

    def finish(self, worker: str, batches: int, rows: int) -> None:
        """Record a worker's own final count of batches and rows it sent."""
        self.workers.setdefault(worker, WorkerLedger()).final = {"batches": batches, "rows": rows}

    def complete(self, workers: Iterable[str]) -> bool:
        """Whether every named worker has sent its final count."""
        return all(self.workers.get(w, WorkerLedger()).final is not None for w in workers)

    def report(self, rows_in_file: int, unique_ids: int) -> dict[str, Any]:
        """JSON-able proof: per worker sent vs received, missing/duplicate batches; ``ok`` when all agree."""
        per: dict[str, Any] = {}
        ok = True
        for name, ledger in sorted(self.workers.items()):
            final = ledger.final
            expected = set(range(final["batches"])) if final else set()
            entry = {
                "rows_sent": final["rows"] if final else None,
                "batches_sent": final["batches"] if final else None,
                "rows_received": ledger.rows,
                "batches_received": len(ledger.seqs),
                "missing_batches": sorted(expected - ledger.seqs),
                "unexpected_batches": sorted(ledger.seqs - expected) if final else [],
                "duplicate_batches": ledger.duplicate_batches,
                "final_received": final is not None,
            }
            entry["ok"] = bool(final) and final["rows"] == ledger.rows and not entry["missing_batches"] \
                and not entry["unexpected_batches"]
            ok = ok and entry["ok"]
            per[name] = entry
        received = sum(ledger.rows for ledger in self.workers.values())
        ok = ok and rows_in_file == received == unique_ids
        return {"ok": ok, "rows_received": received, "rows_in_streams_parquet": rows_in_file,
                "unique_stream_ids": unique_ids, "workers": per}


def stream_id_count(path: Path) -> tuple[int, int]:
    """``(rows, distinct stream_id values)`` of a streams parquet file."""
    if not path.exists():
        return 0, 0
    ids = pq.read_table(path, columns=["stream_id"]).column("stream_id")
    return len(ids), len(ids.unique())


def write_json_atomic(data: dict[str, Any], path: Path) -> None:
    """Write JSON via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"_{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def finalize_run(run_dir: Path, *, streams: PartWriter, loadgen: PartWriter, stages: StageLog | None,
                 accounting: Accounting, now: float, **extra: Any) -> dict[str, Any]:
    """End of a run (idempotent): close the last stage, write the buffered rows, consolidate the parts into
    ``streams.parquet`` and ``load/loadgen.parquet``, write ``load/accounting.json``; returns the report."""
    if stages is not None:
        stages.close(now=now)  # a run stopped early ends its last stage now
    streams.flush()
    loadgen.flush()
    consolidate(run_dir / "streams", run_dir / "streams.parquet", streams.schema)
    consolidate(run_dir / "load" / "loadgen", run_dir / "load" / "loadgen.parquet", LOADGEN_SCHEMA)
    report = accounting.report(*stream_id_count(run_dir / "streams.parquet"))
    report.update(extra)
    write_json_atomic(report, run_dir / "load" / "accounting.json")
    return report
