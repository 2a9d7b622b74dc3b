"""Parquet reading against the run-directory schema: whole-table or row group by row group into numpy.

The chunked reader decodes one row group at a time straight into preallocated numpy arrays (low-cardinality
strings become categoricals over one dictionary shared by all row groups, unique strings such as stream_id
stay arrow-backed, the list column stays an arrow column), so the peak memory is the final frame plus one
row group instead of the whole arrow table plus its pandas copy. Nulls: floats become NaN; counts
(NULL_AS_ZERO: status, events, gap_count, ...) become 0; other integers keep them (pandas Int32/boolean).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rundir.columns import STREAMS_LATE as LATE_STREAM_COLUMNS

SCHEMA_HINT = "see docs/run-directory.md for the exact schema"


class RunDirError(Exception):
    """The run directory is missing a required file or a file breaks the schema."""


def parquet_sources(run_dir: Path, name: str) -> tuple[list[Path], str | None]:
    """The files holding `name` (e.g. streams.parquet) and a note for the report, if any.

    The consolidated file when it exists; otherwise the part files a stopped or killed run leaves behind
    (`<stem>/part-*.parquet`; names starting with `_` or `.` are unfinished and skipped), read in name order.
    """
    path = run_dir / name
    folder = path.with_suffix("")
    parts = []
    if folder.is_dir():
        parts = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith(("_", ".")))
    relative = folder.relative_to(run_dir).as_posix()
    if path.is_file():
        note = f"{name}: {len(parts)} part file(s) in {relative}/ were not read (the consolidated file was)"
        return [path], note if parts else None
    if parts:
        return parts, f"{name} was not consolidated: read {len(parts)} part file(s) from {relative}/"
    return [], None


def checked_columns(path: Path, schema: pa.Schema, columns: Sequence[str] | None) -> list[str]:
    """The wanted columns after checking the file has them all (a clear error naming the file if not)."""
    wanted = list(columns) if columns is not None else list(schema.names)
    if columns is None:
        try:
            present_names = set(pq.read_schema(path).names)
        except (OSError, pa.ArrowInvalid):
            present_names = set(wanted)
        wanted = [c for c in wanted if c in present_names or c not in LATE_STREAM_COLUMNS]
    unknown = [c for c in wanted if c not in schema.names]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown} for {path.name}; known: {schema.names}")
    try:
        present = pq.read_schema(path).names
    except (OSError, pa.ArrowInvalid) as exc:
        raise RunDirError(f"{path}: not a readable parquet file ({exc}); the writer may have crashed") from exc
    missing = [c for c in wanted if c not in present]
    if missing:
        raise RunDirError(f"{path}: missing column(s) {missing} ({SCHEMA_HINT})")
    return wanted


def conform(table: pa.Table, schema: pa.Schema, path: Path) -> pa.Table:
    """Check column types against the schema and cast compatible ones (e.g. int64 -> int32)."""
    columns = []
    for name in table.column_names:
        expected = schema.field(name).type
        column = table.column(name)
        if pa.types.is_dictionary(column.type) and column.type.value_type == expected:
            columns.append(column)
            continue
        if column.type != expected:
            try:
                column = column.cast(expected)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise RunDirError(
                    f"{path}: column '{name}' has type {column.type}, expected {expected} ({SCHEMA_HINT})"
                ) from exc
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def read_table(
    paths: Sequence[Path], schema: pa.Schema, columns: Sequence[str] | None, dictionary: Sequence[str]
) -> pa.Table:
    """One table from one or more files (part files are concatenated in order)."""
    tables = []
    for path in paths:
        wanted = checked_columns(path, schema, columns)
        read_dictionary = [c for c in dictionary if c in wanted] or None
        try:
            tables.append(conform(pq.read_table(path, columns=wanted, read_dictionary=read_dictionary), schema, path))
        except (OSError, pa.ArrowInvalid) as exc:
            raise RunDirError(f"{path}: could not be read ({exc})") from exc
    return pa.concat_tables(tables) if len(tables) != 1 else tables[0]


def _codes(column: pa.ChunkedArray, mapping: dict[str, int]) -> np.ndarray:
    """Categorical codes (-1 = null) of a string column, against one dictionary shared by all row groups."""
    parts = []
    for chunk in column.chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk)
        lut = np.array([mapping.setdefault(v, len(mapping)) for v in chunk.dictionary.to_pylist()] + [-1])
        local = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
        parts.append(lut[np.where(local >= 0, local, len(lut) - 1)].astype(np.int32))
    return np.concatenate(parts) if parts else np.zeros(0, np.int32)


NULL_AS_ZERO = frozenset({"status", "events", "gap_count", "bytes", "dropped", "active_streams", "users"})


def _numbers(column: pa.ChunkedArray, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray | None]:
    """(values, null mask or None): floats keep nulls as NaN, other nulls are filled (0 / false) and masked."""
    if not column.null_count or dtype.kind == "f":
        return column.to_numpy(), None
    mask = column.is_null().to_numpy()
    return pc.fill_null(column, False if dtype.kind == "b" else 0).to_numpy(), mask


def _row_groups(paths: Sequence[Path], dictionary: Sequence[str]) -> tuple[list[pq.ParquetFile], int]:
    files = []
    for path in paths:
        try:
            files.append(pq.ParquetFile(path, read_dictionary=list(dictionary) or None))
        except (OSError, pa.ArrowInvalid) as exc:
            raise RunDirError(f"{path}: could not be read ({exc}); the writer may have crashed") from exc
    return files, sum(f.metadata.num_rows for f in files)


def read_frame_chunked(
    paths: Sequence[Path], schema: pa.Schema, columns: Sequence[str] | None, dictionary: Sequence[str],
    list_column: str,
) -> tuple[pd.DataFrame, pa.ChunkedArray | None]:
    """(frame of every wanted column but `list_column`, that column as arrow) read row group by row group."""
    checked = [checked_columns(path, schema, columns) for path in paths]  # every part file must have them
    wanted = checked[0] if checked else list(columns or schema.names)
    files, rows = _row_groups(paths, [c for c in dictionary if c in wanted])
    arrays: dict[str, np.ndarray] = {}
    chunks: dict[str, list[pa.Array]] = {}  # the list column and unique strings (ids) stay arrow-backed
    for name in wanted:
        if name in dictionary:
            arrays[name] = np.empty(rows, np.int32)
        elif name == list_column or pa.types.is_string(schema.field(name).type):
            chunks[name] = []
        else:
            arrays[name] = np.empty(rows, schema.field(name).type.to_pandas_dtype())
    mappings: dict[str, dict[str, int]] = {name: {} for name in wanted if name in dictionary}
    masks: dict[str, np.ndarray] = {}  # null masks of integer/boolean columns that had nulls
    start = 0
    for parquet, path in zip(files, paths, strict=True):
        for group in range(parquet.num_row_groups):
            try:
                table = conform(parquet.read_row_group(group, columns=wanted), schema, path)
            except (OSError, pa.ArrowInvalid) as exc:
                raise RunDirError(f"{path}: row group {group} could not be read ({exc})") from exc
            end = start + table.num_rows
            for name in wanted:
                if name in chunks:
                    chunks[name].extend(table.column(name).chunks)
                elif name in mappings:
                    arrays[name][start:end] = _codes(table.column(name), mappings[name])
                else:
                    arrays[name][start:end], mask = _numbers(table.column(name), arrays[name].dtype)
                    if mask is not None:
                        masks.setdefault(name, np.zeros(rows, bool))[start:end] = mask
            start = end
    frame = _frame(wanted, arrays, chunks, mappings, masks, list_column)
    pa.default_memory_pool().release_unused()  # hand the row groups' decoding buffers back to the system
    lists = chunks.get(list_column)
    gaps = None if lists is None else pa.chunked_array(lists, type=schema.field(list_column).type)
    return frame, gaps


def _frame(
    wanted: Sequence[str],
    arrays: dict[str, np.ndarray],
    chunks: dict[str, list[pa.Array]],
    mappings: dict[str, dict[str, int]],
    masks: dict[str, np.ndarray],
    list_column: str,
) -> pd.DataFrame:
    data: dict[str, object] = {}
    for name in wanted:
        if name in mappings:  # pop: each int32 code array is freed once its categorical exists
            data[name] = pd.Categorical.from_codes(arrays.pop(name), categories=list(mappings[name]))
        elif name in chunks and name != list_column:
            data[name] = pd.arrays.ArrowStringArray(pa.chunked_array(chunks[name], pa.string()))
        elif name in masks and name not in NULL_AS_ZERO:  # e.g. usage_tokens: null = not reported
            masked = pd.arrays.BooleanArray if arrays[name].dtype.kind == "b" else pd.arrays.IntegerArray
            data[name] = masked(arrays[name], masks[name])
        elif name in arrays:
            data[name] = arrays[name]
    return pd.DataFrame(data, copy=False)
