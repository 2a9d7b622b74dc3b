"""Benchmark: build_report over a synthetic run directory of N streams (default 1 M; target 10 M < 20 s, < 2 GB).

Method
  1. Generate (vectorised, 1 M rows per parquet row group) a run directory that follows docs/run-directory.md
     exactly: N streams over a one-hour open-loop run (N/3600 arrivals/s) on three endpoints, 4 load stages,
     ~1.2 % failures spread over every outcome, 20-400 content events per stream, up to 8 gap samples each,
     one loadgen row per second for 4 workers. Generation is timed separately and is NOT part of the result.
  2. In a fresh child process (so nothing from generation stays in memory), import analysis, then time
     `build_report(run_dir)` with time.perf_counter and read the child's peak RSS with
     VmHWM of /proc/self/status (peak RSS; includes the interpreter and the imports, reported apart;
     ru_maxrss is not used on Linux because a child inherits it from the generating parent).
     CPU time (time.process_time, all threads) is reported too: on a shared machine it is the steadier number.
  3. Print one JSON line with the numbers; --repeat runs step 2 several times and reports each run.

Usage
  .venv/bin/python benchmarks/bench_report.py                       # 1 M streams
  .venv/bin/python benchmarks/bench_report.py --streams 10000000    # the 10 M target
  .venv/bin/python benchmarks/bench_report.py --run-dir DIR --keep  # reuse/keep a generated directory
Numbers depend on the machine and on what else runs on it: say how many cores and what was sharing them.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rundir import layout  # noqa: E402
from rundir.schemas import LOADGEN_SCHEMA, STAGES_SCHEMA, STREAMS_SCHEMA  # noqa: E402

T0 = 1_764_000_000.0
DURATION = 3600.0
ROW_GROUP = 1_000_000
ENDPOINTS = np.array(layout.ENDPOINTS)
STAGES = [("ramp", 0, 600, "step"), ("steady", 600, 2400, "steady"), ("spike", 2400, 2700, "spike"),
          ("cooldown", 2700, 3600, "ramp-down")]
OUTCOMES = np.array(layout.OUTCOMES)


def _strings(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


def _choice(labels: np.ndarray, codes: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(labels)).cast(pa.string())


def _gaps(rng: np.random.Generator, gap_count: np.ndarray, mean: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    sizes = np.minimum(gap_count, 8)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32)
    values = rng.exponential(np.repeat(mean, sizes)).astype(np.float32)
    p99 = np.zeros(len(sizes))
    np.maximum.at(p99, np.repeat(np.arange(len(sizes)), sizes), values)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values)), p99


def _batch(rng: np.random.Generator, first: int, n: int, total: int) -> pa.Table:
    row = np.arange(first, first + n)
    scheduled = T0 + (row + rng.uniform(0, 1, n)) * (DURATION / total)
    sent = scheduled + rng.exponential(0.003, n)
    headers = sent + rng.uniform(0.01, 0.05, n)
    first_token = headers + rng.lognormal(np.log(0.2), 0.4, n)
    events = rng.integers(20, 400, n).astype(np.int32)
    gap_mean = rng.uniform(0.01, 0.04, n)
    last_token = first_token + gap_mean * (events - 1)
    end = last_token + 0.002
    outcome = np.where(rng.uniform(0, 1, n) < 0.012, rng.integers(1, 6, n), 0)
    no_response = (outcome == 1) | (outcome == 4)
    first_token[no_response] = last_token[no_response] = np.nan
    events[no_response] = 0
    status = np.where(outcome == 1, 429, np.where(outcome == 4, 0, 200)).astype(np.int32)
    gap_count = np.maximum(events - 1, 0).astype(np.int32)
    gap_sample, gap_p99 = _gaps(rng, gap_count, gap_mean)
    stage_idx = np.searchsorted([s[1] for s in STAGES[1:]], scheduled - T0, side="right")
    endpoint = row % 3
    columns = {
        "stream_id": _strings("w-", row), "worker": _choice(np.array(["w0", "w1", "w2", "w3"]), row % 4),
        "endpoint": _choice(ENDPOINTS, endpoint), "stage": _choice(np.array([s[0] for s in STAGES]), stage_idx),
        "open_loop": pa.array(np.ones(n, bool)), "scheduled": scheduled, "sent": sent, "headers": headers,
        "first_token": first_token, "last_token": last_token, "end": end, "status": status,
        "outcome": _choice(OUTCOMES, outcome),
        "error": pa.array(np.where(outcome == 1, "RATE_LIMIT", np.where(outcome == 2, "INTERNAL_ERROR", None))),
        "events": events, "bytes": (events * 80).astype(np.int64), "usage_tokens": events, "gap_count": gap_count,
        "gap_mean": gap_mean, "gap_p50": gap_mean * 0.7, "gap_p99": gap_p99, "gap_max": gap_p99,
        "gap_sample": gap_sample, "pod": _choice(np.array([f"agentflow-{i}" for i in range(6)]), row % 6),
        "request_id": _strings("req-", row), "agent_id": _choice(np.array(["agent-0", "agent-1"]), row % 2),
        "prompt_chars": np.full(n, 200, np.int32), "max_tokens": np.full(n, 512, np.int32),
        "expected_s": np.full(n, np.nan),  # chat-shaped streams: no agent run length asked for
    }
    return pa.table({k: columns[k] for k in STREAMS_SCHEMA.names}, schema=STREAMS_SCHEMA)


def generate(run_dir: Path, streams: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    (run_dir / "load").mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(run_dir / "streams.parquet", STREAMS_SCHEMA) as writer:
        for first in range(0, streams, ROW_GROUP):
            writer.write_table(_batch(rng, first, min(ROW_GROUP, streams - first), streams))
    rate = streams / DURATION
    stages = {"stage": [s[0] for s in STAGES], "start": [T0 + s[1] for s in STAGES],
              "end": [T0 + s[2] for s in STAGES], "users": [None] * 4, "rate": [rate] * 4,
              "spawn_rate": [10.0] * 4, "kind": [s[3] for s in STAGES]}
    pq.write_table(pa.table(stages, schema=STAGES_SCHEMA), run_dir / "load/stages.parquet")
    seconds = int(DURATION)
    times = np.tile(T0 + np.arange(seconds, dtype=np.float64), 4)
    loadgen = {"time": times, "worker": np.repeat(["w0", "w1", "w2", "w3"], seconds),
               "cpu_percent": rng.uniform(20, 60, 4 * seconds), "active_streams": np.full(4 * seconds, 50, np.int32),
               "users": np.zeros(4 * seconds, np.int32), "dispatch_lag_p99": np.full(4 * seconds, 0.01),
               "dropped": np.zeros(4 * seconds, np.int32)}
    pq.write_table(pa.table(loadgen, schema=LOADGEN_SCHEMA), run_dir / "load/loadgen.parquet")
    manifest = {"name": "bench", "run_id": run_dir.name, "started": T0, "ended": T0 + DURATION,
                "target": {"kind": "synthetic"}, "profile": {"name": "bench", "slos": {"ttft_p99": 1.0,
                "itl_p99": 0.2, "per_endpoint": {"agent_run": {"ttft_p99": 1.5}}}},
                "experiments": [], "versions": {}, "git_revision": None, "host": "bench"}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))


def _peak_rss_mib() -> float:
    """This process's peak RSS: VmHWM from /proc (reset by exec, unlike ru_maxrss, which a child inherits
    from the parent that generated the data), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(run_dir: Path) -> dict[str, float]:
    """Child-process side: time build_report and read this process's peak RSS."""
    import_start = time.perf_counter()
    from analysis.report import build_report

    imported = time.perf_counter()
    rss_after_import = _peak_rss_mib()
    cpu = time.process_time()
    outcome = build_report(run_dir)
    done = time.perf_counter()
    return {
        "build_report_s": round(done - imported, 3),
        "build_report_cpu_s": round(time.process_time() - cpu, 3),
        "import_s": round(imported - import_start, 3),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "rss_after_import_mib": round(rss_after_import, 1),
        "exit_code": outcome.exit_code,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1_000_000)
    parser.add_argument("--run-dir", type=Path, help="where to generate (reused when it has streams.parquet)")
    parser.add_argument("--keep", action="store_true", help="keep the generated run directory")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    run_dir = args.run_dir or Path(tempfile.mkdtemp(prefix="bench-report-")) / f"bench-{args.streams}"
    try:
        if not (run_dir / "streams.parquet").is_file():
            start = time.perf_counter()
            generate(run_dir, args.streams)
            size = (run_dir / "streams.parquet").stat().st_size / 2**20
            print(json.dumps({"generated_streams": args.streams, "generate_s": round(time.perf_counter() - start, 1),
                              "streams_parquet_mib": round(size, 1)}))
        rows = pq.ParquetFile(run_dir / "streams.parquet").metadata.num_rows  # a reused directory keeps its own N
        for _ in range(args.repeat):
            child = subprocess.run([sys.executable, __file__, "--measure", str(run_dir)], capture_output=True,
                                   text=True, check=True)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            print(json.dumps({"streams": rows, **result}))
    finally:
        if not args.keep and args.run_dir is None:
            shutil.rmtree(run_dir.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
