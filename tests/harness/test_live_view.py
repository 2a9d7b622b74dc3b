"""The live view (harness/live.py) in a real pseudo-terminal: a child process whose stdout is the pty's slave shows
the rich panel with every field read from the run directory's part files (streams, load generator, HPA,
deployments, events) and the chaos log; without a terminal it prints plain progress lines instead."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.live import LiveView

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def part(path: Path, columns: dict[str, list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


def running_run(run: Path) -> Path:
    """A run directory as it looks mid-run: parts with streams that ended in the last seconds (5 of 50 failed)."""
    now = time.time()
    end = now - np.linspace(0.5, 8.0, 50)
    scheduled = end - 2.0
    part(run / "streams" / "part-local-000000.parquet", {
        "stage": ["step-up"] * 50, "scheduled": scheduled, "first_token": scheduled + 0.25,
        "end": end, "outcome": ["http_error"] * 5 + ["ok"] * 45})
    part(run / "load" / "loadgen" / "part-local-000000.parquet",
         {"time": [now - 1], "worker": ["local"], "users": pa.array([12], pa.int32())})
    part(run / "cluster" / "hpa" / "part-obs-000000.parquet",
         {"time": [now - 1], "desired_replicas": [7], "current_replicas": [5]})
    part(run / "cluster" / "deployments" / "part-obs-000000.parquet", {"time": [now - 1], "ready": [5]})
    part(run / "cluster" / "events" / "part-obs-000000.parquet",
         {"time": [now - 2], "reason": ["Killing"], "object": ["pod/agentflow-abc"]})
    (run / "chaos").mkdir()
    (run / "chaos" / "pod-kill.log").write_text("[INFO] Action: terminate-one-random-pod\n")
    return run


CHILD = """
import sys, time
from pathlib import Path
from harness.live import LiveView
view = LiveView(Path(sys.argv[1]), 120.0).start()
time.sleep(float(sys.argv[2]))  # the child just lives for a while; the parent waits on the screen's content
view.stop()
"""


def test_the_panel_in_a_pseudo_terminal_shows_every_field(tmp_path):
    run = running_run(tmp_path / "run")
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(run), "20"], stdin=slave, stdout=slave, stderr=slave,
                            cwd=REPO, env=env, start_new_session=True)
    os.close(slave)
    wanted = ["elapsed", "remaining", "step-up / 12", "streams/s (10 s)", "errors 10.0 %", "TTFT p95 (30 s)",
              "250 ms", "7 / 5", "pod-kill: terminate-one-random-pod", "Killing pod/agentflow-abc"]
    screen, deadline = "", time.monotonic() + 15
    try:
        while time.monotonic() < deadline and not all(w in screen for w in wanted):
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    screen += ANSI.sub("", os.read(master, 65536).decode("utf-8", "replace"))
                except OSError:
                    break
    finally:
        proc.kill()
        proc.wait(timeout=10)
        os.close(master)
    missing = [w for w in wanted if w not in screen]
    assert not missing, f"missing {missing} in:\n{screen[-3000:]}"
    assert "━" in screen  # rich's progress bar was drawn: the child saw a terminal


def test_without_a_terminal_it_prints_plain_progress_lines(tmp_path):
    run = running_run(tmp_path / "run")
    out = io.StringIO()
    view = LiveView(run, 60.0, out=out, interval=0.05, tty=False).start()
    deadline = time.monotonic() + 10
    try:
        while "\n" not in out.getvalue():
            if time.monotonic() > deadline:
                pytest.fail("no progress line within 10 s")
            select.select([], [], [], 0.05)
    finally:
        view.stop()
    line = out.getvalue().splitlines()[0]
    assert line.startswith("[0:00:0") and "/ 0:01:00]" in line
    for field in ("stage step-up", "users 12", "streams/s", "errors 10.0 %", "TTFT p95 250 ms", "replicas 7 / 5",
                  "chaos pod-kill: terminate-one-random-pod"):
        assert field in line
    assert "\x1b[" not in out.getvalue()  # plain text for CI logs


PROFILE = """
name: live-load
model: closed
mix: {native_chat: 1}
bodies: {prompt_chars: {dist: const, value: 50}, max_tokens: {dist: const, value: 16}, agent_pool: 8}
stages: [{name: steady, kind: steady, duration: 12s, users: 3, spawn_rate: 10}]
timeouts: {connect: 5s, stream: 20s, drain: 3s}
"""


def test_afsuite_load_in_a_pseudo_terminal_shows_the_panel_and_keeps_locust_off_the_screen(tmp_path):
    """`afsuite load` end to end (its own reference server) on a pty: the panel with live numbers instead of
    Locust's log lines, which go to locust/locust.log."""
    (tmp_path / "live-load.yaml").write_text(PROFILE)
    run = tmp_path / "run"
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AFSUITE_", "AGENTFLOW_"))}
    env.update({"PYTHONPATH": str(REPO), "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"})
    proc = subprocess.Popen([sys.executable, "-m", "harness", "load", str(tmp_path / "live-load.yaml"), "--run-dir",
                             str(run)], stdin=slave, stdout=slave, stderr=slave, cwd=REPO, env=env,
                            start_new_session=True)
    os.close(slave)
    screen, deadline = "", time.monotonic() + 150
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    screen += ANSI.sub("", os.read(master, 65536).decode("utf-8", "replace"))
                except OSError:
                    break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
        proc.wait(timeout=30)
        os.close(master)
    assert proc.returncode == 0, screen[-3000:]
    assert "steady / 3" in screen and "remaining" in screen and "streams/s (10 s)" in screen
    assert re.search(r"TTFT p95 \(30 s\)\s+\d+ ms", screen), screen[-3000:]
    assert re.search(r"streams/s \(10 s\)\s+[1-9]", screen), screen[-3000:]  # streams were counted live
    assert "locust.runners" not in screen and "loadtests.recording" not in screen  # Locust's log is not shown
    assert "locust.runners" in (run / "locust" / "locust.log").read_text()
