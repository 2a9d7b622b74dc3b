"""The load plane's bookkeeping around the run directory: the stage log and the row accounting of a run.

Rows are written with :class:`rundir.parts.PartWriter` (part files while the run goes, one file at the end);
:func:`finalize_run` consolidates them. :class:`Accounting` is pure bookkeeping: the master records each worker
batch by (worker, sequence number) and each worker's final counts, and the report proves that no row was lost
or duplicated.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rundir import layout
from rundir.parts import PartWriter, consolidate, write_table_atomic
from rundir.schemas import LOADGEN_SCHEMA, STAGES_SCHEMA


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
            entry: dict[str, Any] = {
                "rows_sent": final["rows"] if final else None,
                "batches_sent": final["batches"] if final else None,
                "rows_received": ledger.rows,
                "batches_received": len(ledger.seqs),
                "missing_batches": sorted(expected - ledger.seqs),
                "unexpected_batches": sorted(ledger.seqs - expected) if final else [],
                "duplicate_batches": ledger.duplicate_batches,
                "final_received": final is not None,
            }
            entry["ok"] = final is not None and final["rows"] == ledger.rows and not entry["missing_batches"] \
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
    consolidate(run_dir / layout.STREAMS_PARTS, run_dir / layout.STREAMS_FILE, streams.schema)
    consolidate(run_dir / layout.LOADGEN_PARTS, run_dir / layout.LOADGEN_FILE, LOADGEN_SCHEMA)
    report = accounting.report(*stream_id_count(run_dir / layout.STREAMS_FILE))
    report.update(extra)
    write_json_atomic(report, run_dir / layout.ACCOUNTING_FILE)
    return report
