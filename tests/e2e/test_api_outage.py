"""The cluster stops answering during `afsuite chaos pod-kill` (issue 12 row: 63 % errors and
survival.in_flight were blamed on AgentFlow; the observer's rows in cluster/gaps.parquet were never read).

The whole local cluster (API server, controllers, kubelet, service proxy and pod processes: one session) is
frozen with SIGSTOP for OUTAGE_S seconds while the background load runs, then resumed with SIGCONT. The report
must say what the observer did not see (`cluster.coverage` INCOMPLETE naming the window and the API outage),
must not blame the service for the streams that failed in the outage, and must not PASS the checks that needed
the missing samples.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localcluster.handle import LocalCluster, session_pids

REPO = Path(__file__).resolve().parents[2]
OUTAGE_S = 15.0


def _rows_on_disk(run: Path) -> bool:
    return (run / "streams").is_dir() and any((run / "streams").glob("part-*.parquet"))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_an_api_outage_is_reported_as_the_clusters(tmp_path):
    with LocalCluster(tmp_path / "cluster", variant="good", time_scale="fast", service_port=0, timeout=120) as lc:
        run = tmp_path / "run"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AFSUITE_")}
        env["PYTHONPATH"] = str(REPO)
        proc = subprocess.Popen([sys.executable, "-m", "harness", "chaos", "pod-kill", "--state-dir",
                                 str(lc.state_dir), "--run-dir", str(run)], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO)
        frozen: list[int] = []
        try:
            deadline = time.monotonic() + 180
            while not _rows_on_disk(run) and time.monotonic() < deadline:
                time.sleep(0.2)  # poll interval of a deadline-bounded wait
            assert _rows_on_disk(run), "the background load never recorded a stream"
            frozen = session_pids(lc.pid)
            for pid in frozen:
                os.kill(pid, signal.SIGSTOP)
            stopped_at = time.time()
            time.sleep(OUTAGE_S)  # the outage itself: the cluster is frozen for this long (not a synchronisation)
        finally:
            for pid in frozen:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        out, _ = proc.communicate(timeout=600)
    started = json.loads((run / "manifest.json").read_text())["started"]
    summary = json.loads((run / "report" / "summary.json").read_text())
    checks = {c["name"]: c for c in summary["checks"]}
    coverage = checks["cluster.coverage"]
    assert coverage["verdict"] == "incomplete", out[-3000:]
    assert "cluster API did not answer" in coverage["evidence"]["sentence"], coverage
    windows = coverage["evidence"]["details"]["outages"]
    assert any(a <= stopped_at - started + 2 and b >= stopped_at - started + OUTAGE_S - 5 for a, b in windows), \
        (windows, stopped_at - started)
    assert checks["slo.error_rate"]["verdict"] != "fail" or "set aside" in checks["slo.error_rate"]["evidence"][
        "sentence"], checks["slo.error_rate"]
    if "survival.in_flight" in checks:
        assert checks["survival.in_flight"]["verdict"] != "fail", checks["survival.in_flight"]
    assert summary["overall_verdict"] != "pass"
    assert (run / "cluster" / "gaps.parquet").exists()
