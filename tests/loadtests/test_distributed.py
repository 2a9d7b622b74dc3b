"""Distributed Locust (a master and two workers on loopback, real processes) against a real reference server:
streams.parquet holds exactly the rows the workers recorded, proven against each worker's own ledger."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from loadrun_helpers import FAST_SERVER, KEY, Proc, free_port, locust_argv, locust_env, write_profile

from localcluster.agentflow.process import ReferenceServer


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(api_key=KEY, args=FAST_SERVER, pod_name="dist-0") as srv:
        yield srv


def served(srv: ReferenceServer) -> float:
    text = urllib.request.urlopen(srv.metrics_url + "/metrics", timeout=5).read().decode()
    pattern = r'^agentflow_http_requests_total\{[^}]*path="/(?:api|v1)[^}]*\} (\S+)'
    return sum(float(m) for m in re.findall(pattern, text, re.M))


def run_distributed(tmp_path: Path, host: str, profile: Path, run: Path, ledger: Path,
                    processes: int = 0) -> dict[str, tuple[int | None, str]]:
    """A master + 2 workers (separate commands, or ``--processes N`` when given); all stopped by PID."""
    port = free_port()
    common = ["--headless", "--only-summary"]
    if processes:
        master_args = ["--processes", str(processes)]
    else:
        master_args = ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                       "--expect-workers", "2", "--expect-workers-max-wait", "30"]
    env = locust_env({"AFSUITE_WORKER_LEDGER": str(ledger)})
    procs = {"master": Proc(locust_argv(*common, *master_args, "--host", host, "--profile", str(profile),
                                        "--run-dir", str(run), "-t", "40s"), env, tmp_path / "master.log")}
    try:
        if not processes:
            for name in ("worker-a", "worker-b"):
                procs[name] = Proc(locust_argv("--worker", "--master-host", "127.0.0.1", "--master-port",
                                               str(port), "--headless"), env, tmp_path / f"{name}.log")
        results = {}
        for name, proc in procs.items():
            results[name] = (proc.wait(60), proc.output())
        return results
    finally:
        for proc in procs.values():
            proc.stop()


def ledgers(directory: Path) -> dict[str, list[str]]:
    return {p.stem: p.read_text().split() for p in sorted(directory.glob("*.ids"))}


def check_exact_accounting(run: Path, ledger: Path) -> tuple[dict[str, list[str]], object]:
    recorded = ledgers(ledger)
    assert set(recorded) == {"w0", "w1"} and all(recorded.values()), recorded
    df = pq.read_table(run / "streams.parquet").to_pandas()
    ids = df.stream_id.tolist()
    assert len(ids) == len(set(ids)), "duplicated rows in streams.parquet"
    union = {i for worker_ids in recorded.values() for i in worker_ids}
    assert sum(len(v) for v in recorded.values()) == len(union)  # the ledgers themselves do not overlap
    assert set(ids) == union, (f"lost: {sorted(union - set(ids))[:5]}", f"extra: {sorted(set(ids) - union)[:5]}")
    for worker, worker_ids in recorded.items():
        assert set(df[df.worker == worker].stream_id) == set(worker_ids)
    accounting = json.loads((run / "load" / "accounting.json").read_text())
    assert accounting["ok"] and accounting["mode"] == "master"
    for worker, worker_ids in recorded.items():
        entry = accounting["workers"][worker]
        assert entry["rows_sent"] == entry["rows_received"] == len(worker_ids)
        assert entry["missing_batches"] == [] and entry["duplicate_batches"] == 0
    return recorded, df


def test_master_and_two_workers_lose_and_duplicate_nothing(tmp_path, server):
    profile = write_profile(tmp_path, "dist-closed", [
        {"name": "low", "duration": "2s", "users": 2, "spawn_rate": 10},
        {"name": "high", "kind": "step", "duration": "3s", "users": 6, "spawn_rate": 20},
    ])
    run, ledger = tmp_path / "run", tmp_path / "ledger"
    before = served(server)
    results = run_distributed(tmp_path, server.url, profile, run, ledger)
    for name, (code, out) in results.items():
        assert code == 0, f"{name}:\n{out}"
    _, df = check_exact_accounting(run, ledger)
    assert served(server) - before == len(df)  # the server saw exactly the recorded streams
    assert set(df.outcome) == {"ok"}  # per-worker agent ids: no "agent busy" 500s between workers
    assert set(df.stage) == {"low", "high"}
    lg = pq.read_table(run / "load" / "loadgen.parquet").to_pandas()
    assert set(lg.worker) == {"master", "w0", "w1"}
    assert lg[lg.worker == "master"].users.max() == 6


def test_open_loop_arrivals_are_shared_exactly_between_workers(tmp_path, server):
    rate, seconds = 30, 3
    profile = write_profile(tmp_path, "dist-open", [
        {"name": "const", "duration": f"{seconds}s", "rate": rate, "arrivals": "constant", "max_concurrency": 100},
    ], model="open")
    run, ledger = tmp_path / "run", tmp_path / "ledger"
    results = run_distributed(tmp_path, server.url, profile, run, ledger)
    for name, (code, out) in results.items():
        assert code == 0, f"{name}:\n{out}"
    recorded, df = check_exact_accounting(run, ledger)
    assert len(df) == rate * seconds and df.open_loop.all()
    offsets = sorted(df.scheduled - df.scheduled.min())
    assert offsets == pytest.approx([i / rate for i in range(rate * seconds)], abs=1e-6)
    assert {len(v) for v in recorded.values()} == {rate * seconds // 2}  # every other arrival each
    assert (df.sent - df.scheduled).median() < 0.05


@pytest.mark.slow
def test_processes_mode_loses_and_duplicates_nothing(tmp_path, server):
    profile = write_profile(tmp_path, "dist-forked", [
        {"name": "only", "duration": "5s", "users": 6, "spawn_rate": 20},
    ])
    run, ledger = tmp_path / "run", tmp_path / "ledger"
    results = run_distributed(tmp_path, server.url, profile, run, ledger, processes=2)
    code, out = results["master"]
    assert code == 0, out
    check_exact_accounting(run, ledger)
