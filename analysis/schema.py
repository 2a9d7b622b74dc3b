"""The run-directory file schemas (docs/run-directory.md) as pyarrow schemas and column groups.

The analysis plane validates what it reads against these; tests and benchmarks write synthetic run
directories with them, so a schema change is made in one place.
"""

from __future__ import annotations

import pyarrow as pa

STREAMS_FILE = "streams.parquet"
STAGES_FILE = "load/stages.parquet"
LOADGEN_FILE = "load/loadgen.parquet"
MANIFEST_FILE = "manifest.json"
REPORT_DIR = "report"

ENDPOINTS = ("native_chat", "agent_run", "openai_chat")
OUTCOMES = ("ok", "http_error", "stream_error", "truncated", "connect_error", "timeout")

STREAMS_SCHEMA = pa.schema(
    [
        ("stream_id", pa.string()),
        ("worker", pa.string()),
        ("endpoint", pa.string()),
        ("stage", pa.string()),
        ("open_loop", pa.bool_()),
        ("scheduled", pa.float64()),
        ("sent", pa.float64()),
        ("headers", pa.float64()),
        ("first_token", pa.float64()),
        ("last_token", pa.float64()),
        ("end", pa.float64()),
        ("status", pa.int32()),
        ("outcome", pa.string()),
        ("error", pa.string()),
        ("events", pa.int32()),
        ("bytes", pa.int64()),
        ("usage_tokens", pa.int32()),
        ("gap_count", pa.int32()),
        ("gap_mean", pa.float64()),
        ("gap_p50", pa.float64()),
        ("gap_p99", pa.float64()),
        ("gap_max", pa.float64()),
        ("gap_sample", pa.list_(pa.float32())),
        ("pod", pa.string()),
        ("request_id", pa.string()),
        ("agent_id", pa.string()),
        ("prompt_chars", pa.int32()),
        ("max_tokens", pa.int32()),
        ("expected_s", pa.float64()),
    ]
)
# Columns added after the first version of the format: a whole-table read takes them when the file has them,
# so older run directories stay readable (a read that names such a column still requires it).
LATE_STREAM_COLUMNS = ("expected_s",)

STAGES_SCHEMA = pa.schema(
    [
        ("stage", pa.string()),
        ("start", pa.float64()),
        ("end", pa.float64()),
        ("users", pa.int32()),
        ("rate", pa.float64()),
        ("spawn_rate", pa.float64()),
        ("kind", pa.string()),
    ]
)

LOADGEN_SCHEMA = pa.schema(
    [
        ("time", pa.float64()),
        ("worker", pa.string()),
        ("cpu_percent", pa.float64()),
        ("active_streams", pa.int32()),
        ("users", pa.int32()),
        ("dispatch_lag_p99", pa.float64()),
        ("dropped", pa.int32()),
    ]
)

# Low-cardinality string columns: read as dictionary arrays, i.e. pandas categoricals.
STREAMS_DICTIONARY_COLUMNS = ("worker", "endpoint", "stage", "outcome", "error", "pod", "agent_id")

# What the report needs from streams.parquet (gap_sample is read separately as an arrow column).
REPORT_STREAM_COLUMNS = (
    "endpoint",
    "stage",
    "open_loop",
    "scheduled",
    "sent",
    "first_token",
    "last_token",
    "end",
    "status",
    "outcome",
    "error",
    "pod",
    "events",
    "gap_count",
    "gap_p99",
    "gap_sample",
)
