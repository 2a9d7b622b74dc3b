"""File names of a run directory, and the vocabulary its rows use (outcomes, endpoints, chaos record kinds).

See ``docs/run-directory.md`` for what each file holds. Paths are relative to the run directory.
"""

from __future__ import annotations

MANIFEST_FILE = "manifest.json"
STREAMS_FILE = "streams.parquet"
STREAMS_PARTS = "streams"  # part files of streams.parquet while the run is going (a killed run leaves them)
LOAD_DIR = "load"
STAGES_FILE = "load/stages.parquet"
LOADGEN_FILE = "load/loadgen.parquet"
LOADGEN_PARTS = "load/loadgen"
ACCOUNTING_FILE = "load/accounting.json"
LOCUST_DIR = "locust"
CLUSTER_DIR = "cluster"
CHAOS_DIR = "chaos"
MARKS_FILE = "chaos/marks.parquet"
MARKS_JSONL = "chaos/marks.jsonl"
VERDICTS_FILE = "chaos/verdicts.json"
JOURNAL_SUFFIX = ".journal.json"  # chaos/<experiment>.journal.json: Chaos Toolkit's own journal
PIDS_FILE = "pids.jsonl"
REPORT_DIR = "report"

# What a load run writes: a directory that holds any of these already holds a load run.
LOAD_OUTPUT = (STREAMS_FILE, STREAMS_PARTS, LOAD_DIR)

# Endpoints of AgentFlow the load plane drives (docs/agentflow.md), in report order.
ENDPOINTS = ("native_chat", "agent_run", "openai_chat")

# How one stream ended (docs/run-directory.md, streams.parquet `outcome`); "ok" first, the errors after it.
OK = "ok"
HTTP_ERROR = "http_error"
STREAM_ERROR = "stream_error"
TRUNCATED = "truncated"
CONNECT_ERROR = "connect_error"
TIMEOUT = "timeout"
OUTCOMES = (OK, HTTP_ERROR, STREAM_ERROR, TRUNCATED, CONNECT_ERROR, TIMEOUT)

# chaos/<kind>.jsonl: records the fault plane appends as things happen (experiments/afchaos/journal.py).
# Kinds the verdict pipeline reads (a missing file is a reason to skip the checks that need it) ...
ANALYSED_RECORDS = ("drains", "terminations", "long_streams", "floor", "effects", "canary")
# ... and kinds kept for people and for `afsuite recover` / the safety audit.
AUDIT_RECORDS = ("zone_faults", "safeguard", "safety", "floor_errors", "load", "hpa", "changes", "rollouts")
CHAOS_RECORDS = ANALYSED_RECORDS + AUDIT_RECORDS


def chaos_records_file(kind: str) -> str:
    """``chaos/<kind>.jsonl``; ValueError for a kind the contract does not list (add it to CHAOS_RECORDS)."""
    if kind not in CHAOS_RECORDS:
        raise ValueError(f"chaos record kind {kind!r} is not in rundir.layout.CHAOS_RECORDS; add it there")
    return f"{CHAOS_DIR}/{kind}.jsonl"


def cluster_file(table: str) -> str:
    """``cluster/<table>.parquet``."""
    return f"{CLUSTER_DIR}/{table}.parquet"
