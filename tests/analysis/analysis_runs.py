"""Builders of synthetic run directories written with pyarrow exactly per docs/run-directory.md (rundir.schemas)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rundir.layout import ENDPOINTS
from rundir.schemas import LOADGEN_SCHEMA, STAGES_SCHEMA, STREAMS_SCHEMA

T0 = 1_764_000_000.0  # run start (epoch s)


def make_streams(n: int = 600, duration: float = 60.0, seed: int = 7, open_loop: bool = True) -> pd.DataFrame:
    """n ok streams spread over [T0, T0+duration): realistic SSE timings (seconds)."""
    rng = np.random.default_rng(seed)
    scheduled = T0 + np.sort(rng.uniform(0, duration, n))
    lag = rng.exponential(0.002, n) if open_loop else np.zeros(n)
    sent = scheduled + lag
    headers = sent + rng.uniform(0.01, 0.04, n)
    first = headers + rng.lognormal(np.log(0.15), 0.3, n)
    events = rng.integers(20, 120, n).astype(np.int32)
    gap_mean = rng.uniform(0.015, 0.03, n)
    last = first + gap_mean * (events - 1)
    end = last + 0.003
    samples = [rng.exponential(m, 8).astype(np.float32).tolist() for m in gap_mean]
    endpoints = np.array(ENDPOINTS)[np.arange(n) % 3]
    stage = np.where(scheduled < T0 + duration / 2, "warmup", "steady")
    return pd.DataFrame(
        {
            "stream_id": [f"w0-{i}" for i in range(n)],
            "worker": "w0",
            "endpoint": endpoints,
            "stage": stage,
            "open_loop": open_loop,
            "scheduled": scheduled,
            "sent": sent,
            "headers": headers,
            "first_token": first,
            "last_token": last,
            "end": end,
            "status": np.int32(200),
            "outcome": "ok",
            "error": None,
            "events": events,
            "bytes": (events * 60).astype(np.int64),
            "usage_tokens": events,
            "gap_count": events - 1,
            "gap_mean": gap_mean,
            "gap_p50": [float(np.percentile(s, 50)) for s in samples],
            "gap_p99": [float(np.max(s)) for s in samples],
            "gap_max": [float(np.max(s)) for s in samples],
            "gap_sample": samples,
            "pod": [f"agentflow-{i % 3}" for i in range(n)],
            "request_id": [f"req-{i:032x}" for i in range(n)],
            "agent_id": np.where(endpoints == "agent_run", "agent-1", None),
            "prompt_chars": np.int32(120),
            "max_tokens": np.where(endpoints == "agent_run", None, 256),
            "expected_s": np.nan,
        }
    )


def fail_streams(frame: pd.DataFrame, rows: Any, outcome: str, status: int = 200, error: str | None = None) -> None:
    """Turn rows into failures the way the client records them."""
    frame.loc[rows, "outcome"] = outcome
    frame.loc[rows, "status"] = status
    frame.loc[rows, "error"] = error
    if outcome in ("http_error", "connect_error"):
        frame.loc[rows, ["first_token", "last_token"]] = np.nan
        frame.loc[rows, ["events", "gap_count"]] = 0
        frame.loc[rows, "gap_sample"] = pd.Series([[] for _ in range(len(frame.loc[rows]))], dtype=object).values


def default_stages() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": ["warmup", "steady"],
            "start": [T0, T0 + 30],
            "end": [T0 + 30, T0 + 60],
            "users": [None, None],
            "rate": [5.0, 15.0],
            "spawn_rate": [1.0, 1.0],
            "kind": ["step", "steady"],
        }
    )


def default_loadgen(seconds: int = 60, cpu: float = 35.0, dropped: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": T0 + np.arange(seconds, dtype=np.float64),
            "worker": "w0",
            "cpu_percent": np.full(seconds, cpu),
            "active_streams": np.full(seconds, 12, dtype=np.int32),
            "users": np.zeros(seconds, dtype=np.int32),
            "dispatch_lag_p99": np.full(seconds, 0.004),
            "dropped": np.full(seconds, dropped, dtype=np.int32),
        }
    )


def write_parquet(path: Path, frame: pd.DataFrame, schema: pa.Schema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False), path)


def write_run(
    root: Path,
    streams: pd.DataFrame | None,
    profile: dict[str, Any] | None = None,
    stages: pd.DataFrame | None = None,
    loadgen: pd.DataFrame | None = None,
    name: str = "run",
    duration: float = 60.0,
) -> Path:
    run = root / f"20261125T170000Z-{name}"
    run.mkdir(parents=True)
    manifest = {
        "name": name,
        "run_id": f"20261125T170000Z-{name}",
        "started": T0,
        "ended": T0 + duration,
        "target": {"kind": "local", "context": "afsuite-local"},
        "profile": profile if profile is not None else {"name": "test"},
        "experiments": [],
        "versions": {"afsuite": "0.1.0", "python": "3.11"},
        "git_revision": None,
        "host": "test-host",
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    if streams is not None:
        write_parquet(run / "streams.parquet", streams, STREAMS_SCHEMA)
    if stages is not None:
        write_parquet(run / "load/stages.parquet", stages, STAGES_SCHEMA)
    if loadgen is not None:
        write_parquet(run / "load/loadgen.parquet", loadgen, LOADGEN_SCHEMA)
    return run


def with_profile(run: Any, profile: dict[str, Any]) -> Any:
    """The same loaded run judged under another profile (no files rewritten)."""
    from dataclasses import replace

    return replace(run, manifest={**run.manifest, "profile": profile})


def checks_of(run: Any) -> dict[str, Any]:
    """name -> CheckResult for a loaded run."""
    from analysis.pipeline import judge

    return {c.name: c for c in judge(run)[0]}
