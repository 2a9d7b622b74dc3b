"""What the report reads of the run directory; the files, schemas and vocabulary themselves are the contract's
(:mod:`rundir`), imported here under the names the analysis plane uses."""

from __future__ import annotations

from rundir.columns import STREAMS_DICTIONARY_COLUMNS
from rundir.layout import ENDPOINTS, LOADGEN_FILE, MANIFEST_FILE, OUTCOMES, REPORT_DIR, STAGES_FILE, STREAMS_FILE
from rundir.schemas import LOADGEN_SCHEMA, STAGES_SCHEMA, STREAMS_SCHEMA

__all__ = [
    "ENDPOINTS", "LOADGEN_FILE", "LOADGEN_SCHEMA", "MANIFEST_FILE", "OUTCOMES", "REPORT_DIR",
    "REPORT_STREAM_COLUMNS", "STAGES_FILE", "STAGES_SCHEMA", "STREAMS_DICTIONARY_COLUMNS", "STREAMS_FILE",
    "STREAMS_SCHEMA",
]

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
