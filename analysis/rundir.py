"""Read a run directory (manifest.json, streams.parquet, load/*.parquet) into pandas frames.

Only the run-directory files are read (docs/run-directory.md); nothing here talks to a cluster. Optional
files that are missing are recorded in `RunData.skipped` with the reason instead of failing. Bad input raises
`RunDirError` naming the file and field at fault and what to do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from analysis.columnar import SCHEMA_HINT, RunDirError, parquet_sources, read_frame_chunked, read_table
from analysis.derive import add_derived
from analysis.schema import (
    LOADGEN_FILE,
    LOADGEN_SCHEMA,
    MANIFEST_FILE,
    REPORT_STREAM_COLUMNS,
    STAGES_FILE,
    STAGES_SCHEMA,
    STREAMS_DICTIONARY_COLUMNS,
    STREAMS_FILE,
    STREAMS_SCHEMA,
)


@dataclass
class RunData:
    """One run directory loaded into memory.

    `streams` has one row per stream plus the derived columns (ttft, dispatch_lag, e2e, tpot); `gap_sample`,
    when read, is kept as an arrow column (`gaps`) aligned row by row with `streams`.
    """

    run_dir: Path
    manifest: dict[str, Any]
    streams: pd.DataFrame
    gaps: pa.ChunkedArray | None
    stages: pd.DataFrame | None
    loadgen: pd.DataFrame | None
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # how inputs were read (e.g. from part files)

    @property
    def stream_files(self) -> list[Path]:
        """The files the stream rows came from, in row order."""
        return parquet_sources(self.run_dir, STREAMS_FILE)[0]

    @property
    def origin(self) -> float:
        """Run start (epoch s): manifest `started`, else the earliest scheduled stream, else 0."""
        started = self.manifest.get("started")
        if isinstance(started, int | float) and math.isfinite(started):
            return float(started)
        if len(self.streams) and self.streams["scheduled"].notna().any():
            return float(self.streams["scheduled"].min())
        return 0.0

    @property
    def profile(self) -> dict[str, Any]:
        profile = self.manifest.get("profile")
        return profile if isinstance(profile, dict) else {}


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / MANIFEST_FILE
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir}: not a directory; pass a run directory (runs/<time>-<name>/)")
    if not path.is_file():
        raise RunDirError(f"{path}: missing; a run directory starts with manifest.json ({SCHEMA_HINT})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{path}: not readable JSON ({exc}); rewrite or restore the file") from exc
    if not isinstance(manifest, dict):
        raise RunDirError(f"{path}: top level must be a JSON object, got {type(manifest).__name__}")
    for key in ("started", "ended"):
        value = manifest.get(key)
        if value is not None and not isinstance(value, int | float):
            raise RunDirError(f"{path}: field '{key}' must be epoch seconds (number) or null, got {value!r}")
    if "profile" in manifest and not isinstance(manifest["profile"], dict | type(None)):
        raise RunDirError(f"{path}: field 'profile' must be an object (the parsed load profile)")
    return manifest


def _dictionary(schema: pa.Schema) -> tuple[str, ...]:
    return STREAMS_DICTIONARY_COLUMNS if schema is STREAMS_SCHEMA else ("worker",)


def _read_parquet(paths: Sequence[Path], schema: pa.Schema, columns: Sequence[str] | None) -> pa.Table:
    return read_table(paths, schema, columns, _dictionary(schema))


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    def mapper(arrow_type: pa.DataType) -> Any:
        return pd.ArrowDtype(arrow_type) if pa.types.is_list(arrow_type) else None

    return table.to_pandas(types_mapper=mapper, split_blocks=True, self_destruct=True)


def read_streams(
    run_dir: Path, columns: Sequence[str] | None = None, gaps_as_arrow: bool = False
) -> tuple[pd.DataFrame, pa.ChunkedArray | None]:
    """streams.parquet (or the part files of an unconsolidated run) as a frame with the derived columns.

    All columns by default. Low-cardinality strings become categoricals. With `gaps_as_arrow`, `gap_sample` is
    returned as the second value (an arrow column, row-aligned) instead of a frame column, which keeps the big
    list column compact. Raises FileNotFoundError when there is neither the file nor part files.
    """
    paths, _ = parquet_sources(run_dir, STREAMS_FILE)
    if not paths:
        raise FileNotFoundError(run_dir / STREAMS_FILE)
    if gaps_as_arrow:
        frame, gaps = read_frame_chunked(paths, STREAMS_SCHEMA, columns, STREAMS_DICTIONARY_COLUMNS, "gap_sample")
        return add_derived(frame), gaps
    return add_derived(_to_pandas(_read_parquet(paths, STREAMS_SCHEMA, columns))), None


def empty_streams(columns: Sequence[str] | None = None) -> pd.DataFrame:
    names = [c for c in (columns or STREAMS_SCHEMA.names) if c != "gap_sample"]
    table = STREAMS_SCHEMA.empty_table().select(names)
    return add_derived(_to_pandas(table))


def read_optional(run_dir: Path, name: str, schema: pa.Schema) -> tuple[pd.DataFrame | None, str | None]:
    """An optional parquet file (or its part files) as a frame, or (None, reason) when it is absent."""
    paths, _ = parquet_sources(run_dir, name)
    if not paths:
        return None, f"{name} not found in the run directory"
    return _to_pandas(_read_parquet(paths, schema, None)), None


def load_run(run_dir: Path | str, stream_columns: Sequence[str] | None = None) -> RunData:
    """Load a run directory. `stream_columns=None` reads every streams.parquet column.

    A missing streams.parquet is not an error here: `streams` is then empty and `skipped` says why (the
    checks turn an empty run into an INVALID verdict).
    """
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    skipped: dict[str, str] = {}
    try:
        streams, gaps = read_streams(run_dir, stream_columns, gaps_as_arrow=True)
    except FileNotFoundError:
        streams, gaps = empty_streams(stream_columns), None
        skipped[STREAMS_FILE] = f"{STREAMS_FILE} not found in the run directory"
    notes = [n for n in (parquet_sources(run_dir, f)[1] for f in (STREAMS_FILE, STAGES_FILE, LOADGEN_FILE)) if n]
    stages, reason = read_optional(run_dir, STAGES_FILE, STAGES_SCHEMA)
    if reason:
        skipped[STAGES_FILE] = reason
    loadgen, reason = read_optional(run_dir, LOADGEN_FILE, LOADGEN_SCHEMA)
    if reason:
        skipped[LOADGEN_FILE] = reason
    return RunData(run_dir, manifest, streams, gaps, stages, loadgen, skipped, notes)


def load_for_report(run_dir: Path | str) -> RunData:
    """`load_run` reading only the columns the report needs; `sent` is dropped once dispatch_lag is derived."""
    run = load_run(run_dir, REPORT_STREAM_COLUMNS)
    if "sent" in run.streams.columns:
        del run.streams["sent"]
    return run
