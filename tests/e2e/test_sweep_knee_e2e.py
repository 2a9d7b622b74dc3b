"""`afsuite sweep` end to end through the real CLI on a fresh local cluster per variant (`make test-slow`, a few
minutes each): the default workload's knee comes after its pods' CPU passed the HPA's 70 % target
(`capacity.hpa_target` PASS); the `low-capacity` variant's knee comes lower, with its CPU below the target (FAIL).
Each sweep ends by itself inside 10 minutes, ran through the cluster (2 pods held, streams spread over both, CPU
per pod from the pod metrics) and left no process behind."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1400)]


def sweep(tmp_path: Path, variant: str) -> tuple[int, dict, float, str]:
    run_dir = tmp_path / variant
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "harness", "sweep", "--variant", variant, "--run-dir", str(run_dir)],
                          capture_output=True, text=True, timeout=660)
    took = time.monotonic() - started
    print(proc.stdout)  # the progress lines, for the record of the run
    assert (run_dir / "sweep.md").is_file(), proc.stdout + proc.stderr
    for line in (run_dir / "pids.jsonl").read_text().splitlines():  # the cluster it started, stopped
        assert not psutil.pid_exists(json.loads(line)["pid"]) or json.loads(line)["role"] != "local cluster (sweep)"
    return proc.returncode, json.loads((run_dir / "sweep.json").read_text()), took, proc.stdout


def knee_users(report: dict) -> int:
    return next(lv["users"] for lv in report["levels"] if lv["broken"])


def through_the_cluster(report: dict) -> None:
    assert report["replicas"] == 2 and report["cpu_scale"] == 10
    for lv in report["levels"]:
        assert lv["concurrency"] == 2 * lv["users"]
        assert len(lv["cpu_per_pod"]) == 2, lv  # both held pods measured by the pod metrics


def test_default_workload_passes_and_low_capacity_fails_with_a_lower_knee(tmp_path):
    code, good, took, out = sweep(tmp_path, "good")
    assert took < 600 and code == 0, good["check"]
    assert good["check"]["verdict"] == "pass" and good["check"]["measured"] >= 77.0
    assert "HPA agentflow held at 2 replicas" in out and "HPA agentflow put back to min 3 max 20" in out
    through_the_cluster(good)
    code, low, took_low, _ = sweep(tmp_path, "low-capacity")
    assert took_low < 600 and code == 1, low["check"]
    assert low["check"]["verdict"] == "fail" and low["check"]["measured"] < 70.0
    through_the_cluster(low)
    assert knee_users(low) < knee_users(good)
    print(f"good: knee {knee_users(good)}/pod, {good['check']['measured']:.0f} % at the last level within the SLO, "
          f"{took:.0f} s; low-capacity: knee {knee_users(low)}/pod, {low['check']['measured']:.0f} %, "
          f"{took_low:.0f} s")
