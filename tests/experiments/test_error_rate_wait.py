"""error_rate_below waits (bounded) for the load's first streams before judging: a before-hypothesis run while a
busy machine was still starting Locust failed with 'only 2 stream(s) ended' and the fault never ran (regression
from the 3x matrix, rolling-restart vs ready-on-health run 3)."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from chaoslib.exceptions import ActivityFailed

from experiments.afchaos.service.probes import error_rate_below


def write_part(run_dir, name: str, n: int) -> None:
    (run_dir / "streams").mkdir(exist_ok=True)
    now = time.time()
    table = pa.table({"outcome": ["ok"] * n, "end": [now] * n})
    pq.write_table(table, run_dir / "streams" / f".{name}.tmp")
    (run_dir / "streams" / f".{name}.tmp").rename(run_dir / "streams" / name)


def test_waits_for_the_first_streams_then_judges(tmp_path, monkeypatch):
    monkeypatch.setenv("AFSUITE_RUN_DIR", str(tmp_path))
    write_part(tmp_path, "part-0.parquet", 2)
    with pytest.raises(ActivityFailed, match="only 2 stream"):
        error_rate_below(min_streams=5, wait_seconds=0.0)
    later = threading.Timer(0.5, write_part, args=(tmp_path, "part-1.parquet", 5))
    later.start()
    try:
        assert error_rate_below(min_streams=5, wait_seconds=20.0)
    finally:
        later.join()
