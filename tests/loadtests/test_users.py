"""AgentFlowUser inside a real headless Locust process against the reference server.

Checks what Locust itself shows (its --csv output): two entries per endpoint, ``TTFT`` and ``E2E``, request
counts that agree, failures carrying the stream outcome, and endpoints chosen by the mix weights.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from localcluster.agentflow.process import ReferenceServer

ROOT = Path(__file__).resolve().parents[2]
KEY = "users-test-key"
NO_LIMITS = ["--ip-rate", "0", "--tenant-rate", "0"]
LOCUSTFILE = '''
from loadtests.bodies import BodyConfig
from loadtests.users import AgentFlowUser


class Mixed(AgentFlowUser):
    mix = {"native_chat": 2, "agent_run": 1, "openai_chat": 0}
    body = BodyConfig(prompt_chars={"dist": "const", "value": 50}, max_tokens={"dist": "const", "value": 6},
                      agent_pool=8)
    stream_timeout = 5.0
'''


def run_locust(tmp: Path, url: str, users: int = 4, seconds: int = 4) -> subprocess.CompletedProcess[str]:
    (tmp / "lf.py").write_text(LOCUSTFILE)
    locust = str(Path(sys.executable).with_name("locust"))
    cmd = [locust, "-f", str(tmp / "lf.py"), "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
           "--host", url, "--csv", str(tmp / "out"), "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTFLOW_")}
    env.update(AGENTFLOW_API_KEY=KEY, PYTHONPATH=str(ROOT))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=tmp,
                          start_new_session=True)
    assert KEY not in proc.stdout + proc.stderr  # the key never reaches a log
    return proc


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_locust_shows_ttft_and_e2e_per_endpoint_with_failures(tmp_path: Path) -> None:
    args = [*NO_LIMITS, "--ttft", "const:0.02", "--itl", "const:0.005", "--output-tokens", "const:6",
            "--stream-error-rate", "0.3", "--tool-call-prob", "0", "--seed", "1"]
    with ReferenceServer(api_key=KEY, args=args) as srv:
        proc = run_locust(tmp_path, srv.url)
    stats = {(r["Type"], r["Name"]): r for r in read_csv(tmp_path / "out_stats.csv") if r["Name"] != "Aggregated"}
    assert set(stats) == {("TTFT", "native_chat"), ("E2E", "native_chat"), ("TTFT", "agent_run"),
                          ("E2E", "agent_run")}, (stats.keys(), proc.stderr[-2000:])
    for endpoint in ("native_chat", "agent_run"):
        ttft, e2e = stats[("TTFT", endpoint)], stats[("E2E", endpoint)]
        assert int(ttft["Request Count"]) == int(e2e["Request Count"]) >= 10
        assert int(e2e["Failure Count"]) >= 1  # 30 % of streams end with an error event
        assert float(ttft["Median Response Time"]) < float(e2e["Median Response Time"])
    native = int(stats[("E2E", "native_chat")]["Request Count"])
    agent = int(stats[("E2E", "agent_run")]["Request Count"])
    assert 1.2 < native / agent < 3.5  # mix weights 2:1
    failures = read_csv(tmp_path / "out_failures.csv")
    errors = {(f["Method"], f["Error"]) for f in failures}
    assert ("E2E", "StreamFailure('stream_error 200 UPSTREAM_ERROR')") in errors, errors
    assert proc.returncode == 1  # Locust exits 1 when any request failed


def test_bad_key_is_reported_as_http_error_failures(tmp_path: Path) -> None:
    with ReferenceServer(api_key="another-key", args=NO_LIMITS) as srv:
        # 4 s, not 2: Locust rewrites out_stats.csv once a second and not again at exit, so a 2 s run on a machine
        # at load 10 once left only the Aggregated row (xdist run of the default suite with helpers running)
        proc = run_locust(tmp_path, srv.url, users=2, seconds=4)
    stats = [r for r in read_csv(tmp_path / "out_stats.csv") if r["Name"] != "Aggregated"]
    assert stats and all(int(r["Failure Count"]) == int(r["Request Count"]) > 0 for r in stats), proc.stderr[-2000:]
    errors = {f["Error"] for f in read_csv(tmp_path / "out_failures.csv")}
    assert errors == {"StreamFailure('http_error 401 AUTHENTICATION')"}, errors


def test_backoff_after_refused_or_overloaded_streams_doubles_and_resets():
    # Regression: importing loadtests.users here pulled Locust into the pytest process; its gevent monkey-patching
    # then froze later tests' threads (the CI run hung in test_proxy until its 5400 s limit).
    from loadtests.backoff import BACKOFF_BASE, BACKOFF_MAX, Backoff
    from loadtests.record import StreamRecord
    from rundir.layout import CONNECT_ERROR, HTTP_ERROR, OK

    backoff = Backoff()

    def rec(outcome, status=0):
        return StreamRecord(stream_id="s", worker="w", endpoint="native_chat", stage="x", open_loop=False,
                            outcome=outcome, status=status)

    waits = [backoff.after(rec(CONNECT_ERROR)) for _ in range(6)]
    assert waits[0] == BACKOFF_BASE and waits[1] == 2 * BACKOFF_BASE and waits[-1] == BACKOFF_MAX
    assert backoff.after(rec(OK, 200)) == 0.0
    assert backoff.after(rec(HTTP_ERROR, 429)) == BACKOFF_BASE
    assert backoff.after(rec(HTTP_ERROR, 400)) == 0.0  # a client error is not retried slower
