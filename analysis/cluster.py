"""Read the observer's `cluster/*.parquet` and the chaos outputs (`chaos/`) of a run directory into frames.

Every file is optional: a missing file leaves its frame `None` and a reason in `ClusterData.skipped`, which the
checks turn into a `skipped` verdict. A file that exists but lacks a column it must have raises `RunDirError`
naming the file and the column. Files and columns are the contract's (rundir.layout, rundir.columns), which the
observer writes too. Also reads the per-stream columns the cluster checks need (pod,
stream id, sent/headers) that the report's stream frame leaves out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from analysis.columnar import RunDirError, parquet_sources, read_frame_chunked
from analysis.schema import STREAMS_DICTIONARY_COLUMNS, STREAMS_FILE, STREAMS_SCHEMA
from rundir.columns import CORE, LATE, MARKS, MARKS_LATE, TABLES, cluster_columns
from rundir.layout import (
    ANALYSED_RECORDS,
    CHAOS_DIR,
    JOURNAL_SUFFIX,
    MARKS_FILE,
    MARKS_JSONL,
    VERDICTS_FILE,
    chaos_records_file,
    cluster_file,
)

# file stem -> columns a check relies on (the contract's CORE tier; the observer writes more)
CLUSTER_COLUMNS: dict[str, tuple[str, ...]] = {table: cluster_columns(table, CORE) for table in TABLES}
# columns read when the file has them (the LATE tier: older runs lack them)
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {t: cluster_columns(t, LATE) for t in TABLES}
MARK_OPTIONAL = MARKS_LATE  # hard: analysis/checks/hard_faults.py; intended: analysis/checks/outage.py
MARK_COLUMNS = tuple(name for name, _ in MARKS if name not in MARK_OPTIONAL)
STREAM_COLUMNS = ("stream_id", "pod", "scheduled", "sent", "headers", "first_token", "end", "outcome", "error",
                  "endpoint", "expected_s")
JSONL_FILES = ANALYSED_RECORDS
MAX_NAMED_STREAMS = 2_000_000


@dataclass
class ClusterData:
    """Cluster samples, chaos marks and records of one run; `None` where the file is absent (see `skipped`)."""

    run_dir: Path
    frames: dict[str, pd.DataFrame | None]
    marks: pd.DataFrame | None
    records: dict[str, list[dict[str, Any]] | None]
    journals: dict[str, dict[str, Any]]
    verdicts: list[dict[str, Any]] | None
    streams: pd.DataFrame | None
    skipped: dict[str, str] = field(default_factory=dict)

    def frame(self, name: str) -> pd.DataFrame | None:
        return self.frames.get(name)

    @property
    def present(self) -> bool:
        """Whether the run has any cluster or chaos output at all (a pure load run has neither)."""
        return any(f is not None for f in self.frames.values()) or self.marks is not None or bool(self.journals) \
            or any(r is not None for r in self.records.values()) or self.verdicts is not None

    def reason(self, *names: str) -> str:
        """Why one of `names` (e.g. "cluster/hpa.parquet") is missing."""
        return "; ".join(self.skipped.get(n, f"{n} has no rows") for n in names)


def _read(run_dir: Path, relative: str, columns: tuple[str, ...],
          optional: tuple[str, ...] = ()) -> pd.DataFrame | None:
    paths, _ = parquet_sources(run_dir, relative)
    if not paths:
        return None
    frames = []
    for path in paths:
        try:
            names = pq.read_schema(path).names
        except (OSError, ValueError) as exc:
            raise RunDirError(f"{path}: not a readable parquet file ({exc}); delete it or re-run the observer") from exc
        missing = [c for c in columns if c not in names]
        if missing:
            raise RunDirError(f"{path}: missing column(s) {missing}; it must have {list(columns)}")
        frames.append(pd.read_parquet(path, columns=[*columns, *(c for c in optional if c in names)]))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for column in frame.columns:  # plain object strings: comparisons and groupbys behave the same everywhere
        if pd.api.types.is_string_dtype(frame[column]) and not pd.api.types.is_object_dtype(frame[column]):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _jsonl(path: Path) -> list[dict[str, Any]] | None:
    if not path.is_file():
        return None
    rows = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                continue  # a killed writer may leave a half line at the end
            raise RunDirError(f"{path}: line {number} is not JSON; fix or delete the line") from None
        if isinstance(item, dict):
            rows.append(item)
    return rows


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{path}: not readable JSON ({exc}); restore or delete the file") from exc


def _journals(chaos: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(chaos.glob(f"*{JOURNAL_SUFFIX}")) if chaos.is_dir() else []:
        journal = _json(path)
        if not isinstance(journal, dict):
            raise RunDirError(f"{path}: a Chaos Toolkit journal must be a JSON object")
        out[path.name.removesuffix(JOURNAL_SUFFIX)] = journal
    return out


def _marks(run_dir: Path) -> pd.DataFrame | None:
    frame = _read(run_dir, MARKS_FILE, MARK_COLUMNS, MARK_OPTIONAL)
    if frame is None:
        rows = _jsonl(run_dir / MARKS_JSONL)  # a killed experiment leaves only the jsonl
        if rows is None:
            return None
        frame = pd.DataFrame(rows, columns=[*MARK_COLUMNS, *MARK_OPTIONAL])
    frame = frame.astype({"start": float, "end": float})
    if "hard" not in frame.columns:  # older runs: no hard fault
        frame["hard"] = False
    frame["hard"] = frame["hard"].astype(object).where(frame["hard"].notna(), False).astype(bool)
    if "intended" not in frame.columns:  # older runs: nothing declared intended
        frame["intended"] = None
    frame["intended"] = frame["intended"].astype(object).where(frame["intended"].notna(), None)
    return frame.sort_values("start", kind="stable").reset_index(drop=True)


def _streams(run_dir: Path, loaded: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """The stream columns the cluster checks use; pod/outcome/error as categoricals. `stream_id` (unique strings,
    the costly column) is read only up to MAX_NAMED_STREAMS rows, else it holds the row number. Columns that
    `loaded` (the report's stream frame, same files and row order) already holds are shared with it, not read
    again: at 10 M streams a second copy cost 1.2 GiB of peak memory."""
    paths, _ = parquet_sources(run_dir, STREAMS_FILE)
    if not paths:
        return None
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    wanted = [c for c in STREAM_COLUMNS if c != "stream_id" or rows <= MAX_NAMED_STREAMS]
    shared = [c for c in wanted if loaded is not None and len(loaded) == rows and c in loaded.columns]
    present = set.intersection(*(set(pq.read_schema(path).names) for path in paths))
    columns = [c for c in wanted if c in present and c not in shared]
    frame = read_frame_chunked(paths, STREAMS_SCHEMA, columns, STREAMS_DICTIONARY_COLUMNS, "gap_sample")[0] \
        if columns else pd.DataFrame(index=pd.RangeIndex(rows))
    for column in shared:  # a Series with the same RangeIndex: copy-on-write shares it (an ndarray is copied)
        assert loaded is not None  # `shared` is empty without it
        frame[column] = loaded[column].set_axis(frame.index)
    if "stream_id" not in frame.columns:
        frame["stream_id"] = np.arange(len(frame))
    return frame


def load_cluster(run_dir: Path | str, with_streams: bool = True,
                 loaded_streams: pd.DataFrame | None = None) -> ClusterData:
    """Everything under cluster/ and chaos/ (plus the stream columns the cluster checks use, shared with
    `loaded_streams` where it holds them)."""
    run_dir = Path(run_dir)
    skipped: dict[str, str] = {}
    frames: dict[str, pd.DataFrame | None] = {}
    for name, columns in CLUSTER_COLUMNS.items():
        relative = cluster_file(name)
        frames[name] = _read(run_dir, relative, columns, OPTIONAL_COLUMNS.get(name, ()))
        if frames[name] is None:
            skipped[relative] = f"{relative} not found in the run directory"
    marks = _marks(run_dir)
    if marks is None:
        skipped["chaos/marks.parquet"] = "chaos/marks.parquet not found (no fault was marked)"
    records: dict[str, list[dict[str, Any]] | None] = {}
    for kind in JSONL_FILES:
        relative = chaos_records_file(kind)
        records[kind] = _jsonl(run_dir / relative)
        if records[kind] is None:
            skipped[relative] = f"{relative} not found in the run directory"
    verdicts_path = run_dir / VERDICTS_FILE
    verdicts = _json(verdicts_path) if verdicts_path.is_file() else None
    if verdicts is not None and not isinstance(verdicts, list):
        raise RunDirError(f"{verdicts_path}: must be a JSON list of experiment verdicts")
    streams = _streams(run_dir, loaded_streams) if with_streams else None
    return ClusterData(run_dir, frames, marks, records, _journals(run_dir / CHAOS_DIR), verdicts, streams, skipped)
