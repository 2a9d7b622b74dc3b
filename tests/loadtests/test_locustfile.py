"""The locustfile as plain Locust: real Locust processes against a real reference server on loopback.

Every Locust process is bounded (-t, a deadline) and stopped by PID in ``finally``."""

from __future__ import annotations

import json
import re
import signal
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from loadrun_helpers import FAST_SERVER, KEY, Proc, free_port, locust_argv, locust_env, wait_until, write_profile

from loadtests.record import arrow_schema
from localcluster.agentflow.process import ReferenceServer
from rundir.layout import ENDPOINTS
from rundir.parts import part_files
from rundir.schemas import LOADGEN_SCHEMA, STAGES_SCHEMA


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(api_key=KEY, args=FAST_SERVER, pod_name="lt-0") as srv:
        yield srv


def run_locust(tmp_path: Path, host: str, profile: Path, run: Path, *extra: str,
               timeout: float = 60.0) -> tuple[int | None, str]:
    argv = locust_argv("--headless", "--host", host, "--profile", str(profile), "--run-dir", str(run),
                       "--csv", str(run / "locust" / "stats"), "--html", str(run / "locust" / "report.html"),
                       "--only-summary", "-t", "40s", *extra)
    proc = Proc(argv, locust_env(), tmp_path / f"{profile.stem}.log")
    try:
        code = proc.wait(timeout)
        return code, proc.output()
    finally:
        proc.stop()


def requests_served(srv: ReferenceServer) -> float:
    text = urllib.request.urlopen(srv.metrics_url + "/metrics", timeout=5).read().decode()
    return sum(float(m) for m in re.findall(r'^agentflow_http_requests_total\{[^}]*path="/(?:api|v1)[^}]*\} (\S+)',
                                             text, re.M))


def all_text(run: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in run.rglob("*") if p.is_file())


def test_closed_loop_run_fills_the_run_directory(tmp_path, server):
    profile = write_profile(tmp_path, "closed-tiny", [
        {"name": "low", "kind": "steady", "duration": "2s", "users": 2, "spawn_rate": 10},
        {"name": "high", "kind": "step", "duration": "3s", "users": 4, "spawn_rate": 10},
    ])
    run = tmp_path / "run"
    before = requests_served(server)
    code, out = run_locust(tmp_path, server.url, profile, run)
    assert code == 0, out
    served = requests_served(server) - before
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["profile"]["name"] == "closed-tiny" and manifest["ended"] > manifest["started"]
    assert manifest["target"]["host"] == server.url and manifest["load"]["accounting_ok"] is True
    assert KEY not in all_text(run)  # the API key is nowhere in the run directory

    streams = pq.read_table(run / "streams.parquet")
    assert streams.schema.equals(arrow_schema())
    df = streams.to_pandas()
    assert len(df) > 20 and set(df.outcome) == {"ok"} and set(df.worker) == {"local"}
    assert set(df.endpoint) == set(ENDPOINTS)
    assert not df.open_loop.any() and (df.scheduled == df.sent).all()
    assert df.stream_id.is_unique
    assert served == len(df)  # the server saw exactly the streams recorded (none lost at the stop)

    stages = pq.read_table(run / "load" / "stages.parquet")
    assert stages.schema.equals(STAGES_SCHEMA)
    st = stages.to_pandas()
    assert list(st.stage) == ["low", "high"] and list(st.users) == [2, 4]
    assert (st.end - st.start).round(1).tolist() == [2.0, 3.0]
    for row in st.itertuples():  # each stream carries the stage it started in (labels change at the boundary)
        sent_in = df[(df.sent >= row.start + 0.05) & (df.sent < row.end)]
        assert len(sent_in) > 0 and set(sent_in.stage) == {row.stage}

    loadgen = pq.read_table(run / "load" / "loadgen.parquet")
    assert loadgen.schema.equals(LOADGEN_SCHEMA)
    lg = loadgen.to_pandas()
    assert len(lg) >= 4 and set(lg.worker) == {"local"} and lg.cpu_percent.between(0, 400).all()
    assert lg.users.max() == 4 and lg.dispatch_lag_p99.isna().all()

    accounting = json.loads((run / "load" / "accounting.json").read_text())
    assert accounting["ok"] and accounting["rows_in_streams_parquet"] == len(df)
    assert (run / "locust" / "stats_stats.csv").exists() and (run / "locust" / "report.html").exists()
    assert not (run / "streams").exists()  # parts were consolidated


def test_open_loop_run_keeps_to_the_schedule_and_counts_drops(tmp_path, server):
    rate, seconds = 25, 3
    profile = write_profile(tmp_path, "open-tiny", [
        {"name": "const", "duration": f"{seconds}s", "rate": rate, "arrivals": "constant", "max_concurrency": 200},
    ], model="open")
    run = tmp_path / "run"
    code, out = run_locust(tmp_path, server.url, profile, run)
    assert code == 0, out
    df = pq.read_table(run / "streams.parquet").to_pandas().sort_values("scheduled")
    assert len(df) == rate * seconds and df.open_loop.all() and set(df.outcome) == {"ok"}
    start = json.loads((run / "manifest.json").read_text())
    offsets = (df.scheduled - df.scheduled.min()).to_numpy()
    assert offsets == pytest.approx([i / rate for i in range(rate * seconds)], abs=1e-6)  # the exact schedule
    lag = (df.sent - df.scheduled).sort_values().to_numpy()
    assert lag[0] >= 0 and lag[len(lag) // 2] < 0.02 and lag[-1] < 0.5, lag  # measured, never negative
    assert ((df.first_token - df.scheduled) >= (df.first_token - df.sent)).all()  # TTFT counts the lag
    lg = pq.read_table(run / "load" / "loadgen.parquet").to_pandas()
    assert lg.dispatch_lag_p99.notna().any() and lg.dropped.sum() == 0
    assert start["profile"]["model"] == "open"


def test_open_loop_drops_arrivals_over_max_concurrency_instead_of_queueing(tmp_path):
    with ReferenceServer(api_key=KEY, args=[*FAST_SERVER, "--ttft", "const:0.3"], pod_name="slow-0") as slow:
        profile = write_profile(tmp_path, "open-capped", [
            {"name": "capped", "duration": "2s", "rate": 20, "arrivals": "constant", "max_concurrency": 2},
        ], model="open", mix={"native_chat": 1})
        run = tmp_path / "run"
        code, out = run_locust(tmp_path, slow.url, profile, run)
    assert code == 0, out
    df = pq.read_table(run / "streams.parquet").to_pandas()
    dropped = int(pq.read_table(run / "load" / "loadgen.parquet").to_pandas().dropped.sum())
    assert dropped > 0 and len(df) + dropped == 40  # every arrival either started or was counted as dropped
    assert (df.sent - df.scheduled).max() < 0.25  # the ones that started were not held back


def test_bad_profile_fails_before_any_traffic(tmp_path, server):
    profile = write_profile(tmp_path, "step", [
        {"name": "low", "duration": "2s", "users": 1},
        {"name": "high", "kind": "step", "duration": "2s", "users": -3},
    ])
    before = requests_served(server)
    run = tmp_path / "run"
    code, out = run_locust(tmp_path, server.url, profile, run, timeout=30)
    assert code not in (0, None)
    assert f"{profile}: stages[1].users: must be a positive integer, got -3" in out
    assert not (run / "manifest.json").exists() and not (run / "streams").exists()  # (Locust made locust/)
    assert requests_served(server) == before


def test_a_killed_run_leaves_readable_parts(tmp_path, server):
    profile = write_profile(tmp_path, "long", [{"name": "forever", "duration": "60s", "users": 3}])
    run = tmp_path / "run"
    argv = locust_argv("--headless", "--host", server.url, "--profile", str(profile), "--run-dir", str(run),
                       "--only-summary", "-t", "70s")
    proc = Proc(argv, locust_env(), tmp_path / "long.log")
    try:
        assert wait_until(lambda: len(part_files(run / "streams")) >= 2, timeout=30), proc.output()
        proc.signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.stop()
    tables = [pq.read_table(p) for p in part_files(run / "streams")]
    assert sum(t.num_rows for t in tables) > 0 and all(t.schema.equals(arrow_schema()) for t in tables)
    stage = pq.read_table(run / "load" / "stages.parquet").to_pandas()
    assert stage.stage.tolist() == ["forever"] and stage.end.isna().all()  # never reached: null
    assert not (run / "streams.parquet").exists()


def test_web_ui_mode_runs_the_profile_and_stops_by_itself(tmp_path, server):
    profile = write_profile(tmp_path, "ui-tiny", [{"name": "only", "duration": "3s", "users": 2, "spawn_rate": 10}])
    run, port = tmp_path / "run", free_port()
    argv = locust_argv("--autostart", "--autoquit", "1", "--web-host", "127.0.0.1", "--web-port", str(port),
                       "--host", server.url, "--profile", str(profile), "--run-dir", str(run))
    proc = Proc(argv, locust_env(), tmp_path / "ui.log")
    try:
        def ui_up() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).status == 200
            except OSError:
                return False

        assert wait_until(ui_up, timeout=30), proc.output()
        assert proc.wait(40) == 0, proc.output()
    finally:
        proc.stop()
    accounting = json.loads((run / "load" / "accounting.json").read_text())
    assert accounting["ok"] and accounting["rows_in_streams_parquet"] > 0
