"""`chaos validate` (Chaos Toolkit's own validator: syntax, and every activity's module and function exist with
the arguments given) accepts every experiment file, and refuses a broken one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS = sorted((REPO / "experiments").glob("*.yaml"))
CHAOS = Path(sys.executable).with_name("chaos")


def validate(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # the files read their service URL from the environment (no request is made while validating)
    env = {**os.environ, "AGENTFLOW_URL": "http://127.0.0.1:9", "HOME": str(tmp_path)}
    return subprocess.run([str(CHAOS), "--no-log-file", "validate", str(path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_chaos_validate_accepts_the_experiment(path, tmp_path):
    done = validate(path, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "look valid" in done.stdout + done.stderr


def test_chaos_validate_refuses_an_activity_that_does_not_exist(tmp_path):
    text = (REPO / "experiments" / "pod-kill.yaml").read_text(encoding="utf-8")
    assert "func: record_workload" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("func: record_workload", "func: no_such_function"), encoding="utf-8")
    done = validate(bad, tmp_path)
    assert done.returncode != 0 and "no_such_function" in done.stdout + done.stderr
