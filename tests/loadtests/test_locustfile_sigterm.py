"""SIGTERM ends a shape-driven headless run gracefully (regression: Locust 2.x killed it outright, exit -15,
leaving only unmerged part files and no Locust reports)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from localcluster.agentflow.process import ReferenceServer

PROFILE = """
name: sigterm-test
description: long steady load, ended by SIGTERM
model: closed
mix: {native_chat: 1}
bodies: {prompt_chars: {dist: const, value: 50}, max_tokens: {dist: const, value: 8}, agent_pool: 8}
stages:
  - {name: steady, kind: steady, duration: 10m, users: 3, spawn_rate: 3}
timeouts: {connect: 5s, stream: 30s, drain: 5s}
"""
LOCUSTFILE = Path(__file__).resolve().parents[2] / "loadtests" / "locustfile.py"


def test_sigterm_stops_a_shape_run_gracefully(tmp_path):
    profile = tmp_path / "sigterm.yaml"
    profile.write_text(PROFILE)
    run = tmp_path / "run"
    with ReferenceServer(api_key="k", args=["--ttft", "const:0.01", "--itl", "const:0.005"]) as srv:
        env = {**os.environ, "AGENTFLOW_API_KEY": "k"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", srv.url,
             "--profile", str(profile), "--run-dir", str(run), "--csv", str(run / "locust" / "stats"), "-t", "120s"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not list((run / "streams").glob("part-*.parquet")) and time.monotonic() < deadline:
                time.sleep(0.2)  # polling for the first rows on disk, bounded by the deadline
            assert list((run / "streams").glob("part-*.parquet")), "the load never recorded a stream"
            os.killpg(proc.pid, signal.SIGTERM)
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert code in (0, 1), code  # 1 = some stream failed; never -15 (killed by the signal)
    assert pq.ParquetFile(run / "streams.parquet").metadata.num_rows > 0
    assert not list((run / "streams").glob("part-*.parquet"))  # consolidated
    assert (run / "locust" / "stats_stats.csv").exists()  # Locust's own reports were written


def test_sigterm_stops_the_run_when_stdout_and_stderr_are_a_dead_pipe(tmp_path):
    """Regression (issue 12 kill matrix): Locust started by afsuite writes to a pipe that afsuite reads; when
    afsuite is SIGKILLed, that pipe's reader is gone. gevent then printed the SIGTERM's KeyboardInterrupt to the
    dead stderr, the print raised BrokenPipeError, the interrupt was lost and Locust ran its profile to the end."""
    profile = tmp_path / "sigterm.yaml"
    profile.write_text(PROFILE)
    run = tmp_path / "run"
    with ReferenceServer(api_key="k", args=["--ttft", "const:0.01", "--itl", "const:0.005"]) as srv:
        env = {**os.environ, "AGENTFLOW_API_KEY": "k"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", srv.url,
             "--profile", str(profile), "--run-dir", str(run), "-t", "120s"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not list((run / "streams").glob("part-*.parquet")) and time.monotonic() < deadline:
                time.sleep(0.2)  # polling for the first rows on disk, bounded by the deadline
            assert proc.stdout is not None
            proc.stdout.close()  # the reader dies, as afsuite does when it is SIGKILLed
            os.killpg(proc.pid, signal.SIGTERM)
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert code in (0, 1), code
    assert pq.ParquetFile(run / "streams.parquet").metadata.num_rows > 0
