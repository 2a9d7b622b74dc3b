"""`afsuite load` end to end with its own reference server (issue 12 rows):

- SIGTERM to `afsuite load smoke`: Locust was orphaned and ran to its end, and the reference server ignored
  SIGTERM for over 60 s. Now the run stops in order: exit 3, no child left, rows kept, report INTERRUPTED.
- SIGKILL to afsuite: its Locust and reference-server children die with it (parent-death signal).
- A wrong API key: about 6,400 streams got 401 in 20 s and `afsuite load` exited 0. Now it stops within a few
  seconds, says "the API key was refused" and exits 2 (INVALID).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest
import yaml

from localcluster.agentflow.process import ReferenceServer

REPO = Path(__file__).resolve().parents[2]
PROFILE = {"name": "sig-load", "model": "closed", "mix": {"native_chat": 1},
           "bodies": {"prompt_chars": {"dist": "const", "value": 50}, "max_tokens": {"dist": "const", "value": 16},
                      "agent_pool": 8},
           "stages": [{"name": "steady", "kind": "steady", "duration": "60s", "users": 3, "spawn_rate": 10}],
           "timeouts": {"connect": "5s", "stream": "20s", "drain": "3s"}}


def wait_until(predicate, timeout: float, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)  # poll interval of a deadline-bounded wait
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AFSUITE_", "AGENTFLOW_"))}
    return {**env, "PYTHONPATH": str(REPO), **extra}


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
    profile = tmp_path / "sig-load.yaml"
    profile.write_text(yaml.safe_dump(PROFILE))
    run = tmp_path / "run"
    log = open(tmp_path / "afsuite.log", "wb")  # noqa: SIM115 - the child owns it; closed with the test
    proc = subprocess.Popen([sys.executable, "-m", "harness", "load", str(profile), "--run-dir", str(run), *args],
                            stdout=log, stderr=subprocess.STDOUT, env=env or _env(), cwd=REPO, start_new_session=True)
    return proc, run


def _children(run: Path) -> list[dict]:
    path = run / "pids.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _alive(entry: dict) -> bool:
    try:
        proc = psutil.Process(entry["pid"])
        return proc.status() != psutil.STATUS_ZOMBIE and abs(proc.create_time() - entry["create_time"]) < 0.05
    except psutil.Error:
        return False


def _kill(entries: list[dict]) -> None:
    for entry in entries:
        if _alive(entry):
            os.kill(entry["pid"], signal.SIGKILL)


def _rows(run: Path) -> int:
    files = [*((run / "streams").glob("part-*.parquet") if (run / "streams").is_dir() else []),
             *([run / "streams.parquet"] if (run / "streams.parquet").exists() else [])]
    return sum(pq.read_metadata(f).num_rows for f in files)


@pytest.mark.parametrize("sig", ["SIGTERM", pytest.param("SIGKILL", marks=pytest.mark.slow)])
def test_a_signal_to_afsuite_load_leaves_nothing_running(tmp_path, sig):
    proc, run = _start(tmp_path)
    try:
        wait_until(lambda: _rows(run) > 0, 90, "the first stream rows on disk")
        roles = {e["role"] for e in _children(run)}
        assert {"afsuite", "locust (load)", "reference server (load)"} <= roles, roles
        rows = _rows(run)
        os.kill(proc.pid, getattr(signal, sig))  # afsuite alone, as `timeout` or a CI runner does
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    children = [e for e in _children(run) if e["role"] != "afsuite"]
    try:
        wait_until(lambda: not any(_alive(e) for e in children), 60,
                   lambda: f"afsuite's children to be gone: {[e['role'] for e in children if _alive(e)]} still run")
    finally:  # whatever the verdict, this test leaves nothing running
        _kill(children)
    if sig == "SIGTERM":
        assert code == 3, (tmp_path / "afsuite.log").read_text()[-3000:]
        out = (tmp_path / "afsuite.log").read_text()
        assert "overall verdict: INTERRUPTED" in out
        assert pq.read_metadata(run / "streams.parquet").num_rows >= rows
    else:  # its children died with it; Locust flushed what it had on the way out
        wait_until(lambda: (run / "streams.parquet").exists(), 30, "Locust to consolidate its rows")
        assert pq.read_metadata(run / "streams.parquet").num_rows >= rows


def test_a_refused_api_key_stops_afsuite_load_early_with_exit_2(tmp_path):
    with ReferenceServer(api_key="the-right-key", pod_name="key-0") as srv:
        started = time.monotonic()
        proc, run = _start(tmp_path, "--host", srv.url, env=_env(AGENTFLOW_API_KEY="a-wrong-key"))
        try:
            code = proc.wait(timeout=90)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        took = time.monotonic() - started
    out = (tmp_path / "afsuite.log").read_text()
    assert code == 2, out[-3000:]  # INVALID
    assert "the API key was refused" in out and "validity.auth | INVALID" in out
    assert took < 40, f"{took:.0f} s: the 60 s profile was not stopped early"
    assert pq.read_metadata(run / "streams.parquet").num_rows < 500  # was ~6,400 in 20 s
