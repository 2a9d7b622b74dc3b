"""The reference server exits on SIGTERM whatever its stdout/stderr are (regression, issue 12: with both a pipe
to a parent that had died, a log write raised BrokenPipeError inside the SIGTERM handler and the server ignored
SIGTERM for over 60 s)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lifecycle", ["graceful", "agentflow-1.11"])
def test_sigterm_exits_with_stdout_and_stderr_pipes_nobody_reads(lifecycle):
    env = {**os.environ, "PYTHONPATH": str(REPO), "AGENTFLOW_API_KEY": "k", "AGENTFLOW_LIFECYCLE": lifecycle}
    proc = subprocess.Popen([sys.executable, "-m", "localcluster.agentflow", "--host", "127.0.0.1", "--port", "0",
                             "--metrics-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert b"listening on" in proc.stdout.readline()  # up and serving
        proc.stdout.close()  # the reader is gone, as when the parent died
        proc.stderr.close()
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server ignored SIGTERM for {time.monotonic() - started:.0f} s with dead pipes")
        assert time.monotonic() - started < 20
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
