"""harness.load.run_load: Locust in its own process, bounded in time, progress streamed, run dir returned."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest
from loadrun_helpers import FAST_SERVER, KEY, write_profile

from harness.load import KILL_GRACE, LoadRunError, locust_command, run_load
from loadtests.profiles import ProfileError
from localcluster.agentflow.process import ReferenceServer


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(api_key=KEY, args=FAST_SERVER, pod_name="harness-0") as srv:
        yield srv


def test_run_load_runs_a_soak_profile_with_a_duration_override(tmp_path, server, monkeypatch):
    monkeypatch.delenv("AGENTFLOW_API_KEY", raising=False)
    profile = write_profile(tmp_path, "mini-soak", [
        {"name": "warm", "duration": "1s", "users": 2, "spawn_rate": 10},
        {"name": "soak", "kind": "soak", "duration": "1h", "users": 2},
    ])
    lines: list[str] = []
    run = run_load(str(profile), server.url, tmp_path / "run", duration="3s", api_key=KEY, echo=lines.append)
    assert run == (tmp_path / "run").resolve()
    text = "\n".join(lines)
    locust_log = (run / "locust" / "locust.log").read_text()  # Locust's own lines: in the run, not on the screen
    assert "stage 'soak' (soak) started" in locust_log and "stage 'soak' (soak) started" not in text
    assert "load: done (locust exit code 0)" in text
    assert KEY not in text and KEY not in locust_log
    stages = pq.read_table(run / "load" / "stages.parquet").to_pandas()
    assert stages.stage.tolist() == ["warm", "soak"]
    assert (stages.end - stages.start).round(1).tolist() == [1.0, 3.0]
    assert json.loads((run / "manifest.json").read_text())["profile"]["stages"][1]["duration"] == 3.0
    assert (run / "locust" / "stats_stats.csv").exists() and (run / "locust" / "report.html").exists()
    assert pq.read_metadata(run / "streams.parquet").num_rows > 0


def test_run_load_kills_an_overrunning_run_and_leaves_it_readable(tmp_path, server):
    profile = write_profile(tmp_path, "too-long", [{"name": "long", "duration": "60s", "users": 2}])
    lines: list[str] = []
    started = time.monotonic()
    with pytest.raises(LoadRunError, match="overran its time bound of 12 s and was killed"):
        run_load(str(profile), server.url, tmp_path / "run", api_key=KEY, time_limit=12.0, echo=lines.append)
    assert time.monotonic() - started < 12.0 + KILL_GRACE + 5.0  # not the profile's 60 s
    run = tmp_path / "run"
    streams = pq.read_table(run / "streams.parquet")  # consolidated from what the killed run left
    assert streams.num_rows > 0
    assert json.loads((run / "manifest.json").read_text())["load"]["killed"] is True


def test_a_bad_profile_fails_before_locust_starts(tmp_path):
    profile = write_profile(tmp_path, "bad", [{"name": "x", "duration": "2s", "users": -3}])
    with pytest.raises(ProfileError, match=r"stages\[0\]\.users: must be a positive integer, got -3"):
        run_load(str(profile), "http://127.0.0.1:9", tmp_path / "run", echo=lambda _line: None)
    assert not (tmp_path / "run").exists()


def test_the_command_line_carries_no_secret(tmp_path):
    cmd = locust_command("smoke", "http://127.0.0.1:1", tmp_path, processes=3)
    assert cmd[1:3] == ["-m", "locust"] and "--headless" in cmd and cmd[cmd.index("--processes") + 1] == "3"
    assert cmd[cmd.index("--csv") + 1] == str(tmp_path / "locust" / "stats")
    assert not any("key" in part.lower() for part in cmd)
