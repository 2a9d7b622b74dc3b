"""`afsuite campaign agentic-release` end to end on a fresh fast local cluster, through the real CLI (`make
test-slow`, about 15 minutes each). The campaign's verdict that matters is `survival.by_length`:

- on `good` (grace 60 s, preStop 10 s, server drain 45 s) long agent runs in flight at the drains are cut, and the
  check FAILS naming the cut streams, their pods and disruptions, and the grace arithmetic;
- on `long-grace` (grace 200 s, drain 190 s, above the 180 s agent timeout) none is cut and it passes.

The other checks are not asserted here: `long-grace` pays for its grace elsewhere (README, "Agent-shaped traffic").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from localcluster.handle import LocalCluster
from localcluster.workload.timescale import LAPTOP_CPU_SCALE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def by_length(tmp_path: Path, variant: str) -> tuple[dict, str]:
    run_dir = tmp_path / "run"
    with LocalCluster(tmp_path / "lc", variant=variant, time_scale="fast", cpu_scale=LAPTOP_CPU_SCALE,
                      service_port=0, timeout=180) as lc:
        done = subprocess.run([sys.executable, "-m", "harness", "campaign", "agentic-release", "--state-dir",
                               str(lc.state_dir), "--run-dir", str(run_dir)], capture_output=True, text=True,
                              timeout=1700)
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output[-3000:]  # a verdict, not INVALID / INTERRUPTED / REFUSED
    summary = json.loads((run_dir / "report" / "summary.json").read_text())
    return next(c for c in summary["checks"] if c["name"] == "survival.by_length"), output


def test_good_cuts_long_agent_runs_and_says_by_how_much(tmp_path):
    check, output = by_length(tmp_path, "good")
    sentence = check["evidence"]["sentence"]
    assert check["verdict"] == "fail", (sentence, output[-3000:])
    assert "were cut although shorter than the agent timeout 180 s" in sentence, sentence
    assert "when their pod began terminating were cut" in sentence, sentence
    assert "agentflow-" in sentence, sentence  # the pods are named


def test_long_grace_keeps_every_run_shorter_than_the_agent_timeout(tmp_path):
    check, output = by_length(tmp_path, "long-grace")
    sentence = check["evidence"]["sentence"]
    assert check["verdict"] == "pass", (sentence, output[-3000:])
    assert "min(grace, preStop + drain) = 200 s" in sentence and ">= agent timeout 180 s" in sentence, sentence
