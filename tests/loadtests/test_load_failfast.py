"""Regression tests (issue 12) for runs that cannot mean anything or lose rows:

- a server that accepts and never answers: streams in flight when the load stops are recorded (timeout /
  truncated), not dropped, and the accounting agrees with what was started;
- a wrong API key: the run stops within a few seconds saying "the API key was refused" (not 20 s of 401s);
- a bad --host: one line, before Locust starts any user;
- a run directory that already holds a load run: refused, nothing in it changes.
All against real Locust processes and real sockets on loopback.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest
from loadrun_helpers import FAST_SERVER, KEY, Proc, locust_argv, locust_env, write_profile

from localcluster.agentflow.process import ReferenceServer


class BlackHole:
    """A TCP server that accepts every connection, reads the request and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5.0)
            try:
                if b"POST" in conn.recv(65536):
                    self.requests += 1
            except OSError:
                pass
            self._conns.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    yield hole
    hole.close()


def _locust(tmp_path, host: str, profile, run, env: dict[str, str] | None = None) -> Proc:
    return Proc(locust_argv("--headless", "--host", host, "--profile", str(profile), "--run-dir", str(run),
                            "--only-summary"), locust_env(env), tmp_path / "locust.log")


def test_streams_in_flight_at_stop_are_recorded_not_dropped(tmp_path, black_hole):
    profile = write_profile(tmp_path, "hole", [{"name": "s", "duration": "3s", "users": 4, "spawn_rate": 50}],
                            mix={"native_chat": 1}, timeouts={"connect": "2s", "stream": "60s", "drain": "1s"})
    run = tmp_path / "run"
    proc = _locust(tmp_path, black_hole.url, profile, run)
    try:
        assert proc.wait(60) is not None, proc.log.read_text(errors="replace")[-2000:]
    finally:
        proc.stop()
    assert black_hole.requests == 4  # four streams were started, none answered
    table = pq.read_table(run / "streams.parquet").to_pandas()
    assert len(table) == black_hole.requests, proc.log.read_text(errors="replace")[-2000:]
    assert set(table["outcome"]) == {"timeout"} and set(table["error"]) == {"STOPPED_IN_FLIGHT"}
    assert table["end"].notna().all() and table["sent"].notna().all()
    accounting = json.loads((run / "load" / "accounting.json").read_text())
    assert accounting["ok"] and accounting["rows_in_streams_parquet"] == 4


def test_a_refused_api_key_stops_the_run_within_seconds(tmp_path):
    profile = write_profile(tmp_path, "badkey", [{"name": "s", "duration": "20s", "users": 4, "spawn_rate": 50}])
    run = tmp_path / "run"
    with ReferenceServer(api_key=KEY, args=FAST_SERVER, pod_name="key-0") as srv:
        started = time.monotonic()
        proc = _locust(tmp_path, srv.url, profile, run, {"AGENTFLOW_API_KEY": "wrong-key"})
        try:
            code = proc.wait(60)
        finally:
            proc.stop()
        took = time.monotonic() - started
    out = proc.log.read_text(errors="replace")
    assert code is not None and code != 0, out[-2000:]
    assert "the API key was refused" in out, out[-2000:]
    assert took < 15.0, f"{took:.1f} s: the run did not stop early (the profile runs 20 s)"
    aborted = json.loads((run / "manifest.json").read_text())["load"]["aborted"]
    assert aborted["reason"] == "api_key_refused" and aborted["status"] in (401, 403)
    rows = pq.read_table(run / "streams.parquet").to_pandas()
    assert 0 < len(rows) < 500 and set(rows["status"]) <= {401, 403}


@pytest.mark.parametrize("host", ["htp:/x", "http://127.0.0.1:99999",
                                  pytest.param("http://", marks=pytest.mark.slow),
                                  pytest.param("http://127.0.0.1:0", marks=pytest.mark.slow)])
def test_a_bad_host_is_one_line_before_any_user_starts(tmp_path, host):
    profile = write_profile(tmp_path, "h", [{"name": "s", "duration": "2s", "users": 1}])
    proc = _locust(tmp_path, host, profile, tmp_path / "run")
    try:
        code = proc.wait(60)
    finally:
        proc.stop()
    out = proc.log.read_text(errors="replace")
    assert code not in (None, 0), out
    assert "--host" in out and "Traceback" not in out and "greenlet" not in out.lower(), out[-3000:]
    assert not (tmp_path / "run" / "streams.parquet").exists()


def test_a_run_directory_holding_a_load_run_is_refused_untouched(tmp_path):
    profile = write_profile(tmp_path, "once", [{"name": "s", "duration": "2s", "users": 2, "spawn_rate": 10}])
    run = tmp_path / "run"
    with ReferenceServer(api_key=KEY, args=FAST_SERVER, pod_name="once-0") as srv:
        first = _locust(tmp_path, srv.url, profile, run)
        try:
            assert first.wait(60) is not None
        finally:
            first.stop()
        before = {p.relative_to(run): p.stat().st_mtime_ns for p in run.rglob("*") if p.is_file()}
        second = Proc(locust_argv("--headless", "--host", srv.url, "--profile", str(profile), "--run-dir", str(run),
                                  "--only-summary"), locust_env(), tmp_path / "second.log")
        try:
            code = second.wait(60)
        finally:
            second.stop()
    assert code not in (None, 0)
    out = second.log.read_text(errors="replace")
    assert "already holds a load run" in out, out[-2000:]
    after = {p.relative_to(run): p.stat().st_mtime_ns for p in run.rglob("*") if p.is_file()}
    assert after == before, "the second run changed the first run's directory"
