"""`afsuite sweep` end to end through the real CLI (`make test-slow`, a few minutes per variant): the default pod
template's knee comes after its CPU passed the HPA's 70 % target (`capacity.hpa_target` PASS); the
`low-capacity` variant's knee comes lower, with its CPU far below the target (FAIL). Each sweep ends by itself
well inside 10 minutes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1300)]


def sweep(tmp_path: Path, variant: str) -> tuple[int, dict, float]:
    run_dir = tmp_path / variant
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "harness", "sweep", "--variant", variant, "--run-dir", str(run_dir)],
                          capture_output=True, text=True, timeout=660)
    took = time.monotonic() - started
    assert (run_dir / "sweep.md").is_file(), proc.stdout + proc.stderr
    return proc.returncode, json.loads((run_dir / "sweep.json").read_text()), took


def knee_users(report: dict) -> int:
    levels = report["check"]["evidence"]["details"]["levels"]
    return next(lv["users"] for lv in levels if lv["broken"])


def test_default_pod_passes_and_low_capacity_fails(tmp_path):
    code, good, took = sweep(tmp_path, "good")
    assert took < 600 and code == 0, good["check"]
    assert good["check"]["verdict"] == "pass" and good["check"]["measured"] >= 77.0
    code, low, took = sweep(tmp_path, "low-capacity")
    assert took < 600 and code == 1, low["check"]
    assert low["check"]["verdict"] == "fail" and low["check"]["measured"] < 70.0
    assert knee_users(low) < knee_users(good)
