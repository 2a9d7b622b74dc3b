"""compare RUN BASELINE: metric deltas with significance, verdict changes, tolerances, exit codes, files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from analysis_runs import default_loadgen, fail_streams, make_streams, write_run

from analysis.compare import compare_command, mann_whitney, two_proportions

REPO = Path(__file__).resolve().parents[2]
PROFILE = {"name": "cmp", "slos": {"ttft_p99": 5.0}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    base = write_run(root / "b", make_streams(400, seed=1), PROFILE, loadgen=default_loadgen(), name="base")
    same = write_run(root / "s", make_streams(400, seed=2), PROFILE, loadgen=default_loadgen(), name="same")
    slow_frame = make_streams(400, seed=3)
    slow_frame[["first_token", "last_token", "end"]] += 0.15  # TTFT ~ doubles
    fail_streams(slow_frame, slow_frame.index[:20], "http_error", 503, "UNAVAILABLE")  # error rate 5 %
    slow = write_run(root / "x", slow_frame, PROFILE, loadgen=default_loadgen(), name="slow")
    return base, same, slow


def test_tests_detect_a_shift_and_not_noise():
    rng = np.random.default_rng(0)
    a, b = rng.lognormal(0, 0.3, 300), rng.lognormal(0, 0.3, 300)
    p_same, method = mann_whitney(a, b)
    p_shift, _ = mann_whitney(a * 1.3, b)
    assert p_same > 0.05 and p_shift < 0.001 and "Mann-Whitney U" in method
    assert mann_whitney(a[:3], b)[0] is None
    assert two_proportions(50, 1000, 10, 1000) < 0.001 and two_proportions(10, 1000, 11, 1000) > 0.5


def test_same_distribution_is_no_regression(runs):
    base, same, _ = runs
    assert compare_command(same, base) == 0
    result = json.loads((same / "report" / "compare.json").read_text())
    assert result["regressions"] == []
    ttft = next(m for m in result["metrics"] if m["metric"] == "ttft_p99")
    assert ttft["p_value"] > 0.01 and ttft["baseline"] > 0 and ttft["run"] > 0


def test_slower_run_regresses_with_evidence(runs, capsys):
    base, _, slow = runs
    assert compare_command(slow, base) == 1
    result = json.loads((slow / "report" / "compare.json").read_text())
    flagged = {m["metric"] for m in result["metrics"] if m["regression"]}
    assert {"ttft_p50", "ttft_p99", "error_rate"} <= flagged
    ttft = next(m for m in result["metrics"] if m["metric"] == "ttft_p50")
    assert ttft["relative"] > 0.5 and ttft["p_value"] < 0.001
    assert "check slo.error_rate pass -> fail" in result["regressions"]
    md = (slow / "report" / "compare.md").read_text()
    assert "**REGRESSION**" in md and "| slo.error_rate | PASS | FAIL | changed | REGRESSION |" in md
    assert "REGRESSION" in capsys.readouterr().out


def test_tolerances_file(runs, tmp_path):
    base, _, slow = runs
    loose = tmp_path / "tol.yaml"
    loose.write_text("ttft_p50: 10\nttft_p95: 10\nttft_p99: 10\ne2e_p50: 10\ne2e_p95: 10\ne2e_p99: 10\n"
                     "error_rate: 1\ngoodput: 1\n")
    result_code = compare_command(slow, base, loose)
    result = json.loads((slow / "report" / "compare.json").read_text())
    assert [r for r in result["regressions"] if r.startswith("metric")] == []
    assert result_code == 1  # the check verdict regression remains
    bad = tmp_path / "bad.yaml"
    bad.write_text("ttft_p90: 0.1\n")
    assert compare_command(slow, base, bad) == 5


def test_python_dash_m_analysis_compare(runs):
    base, same, _ = runs
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "analysis", "compare", str(same), str(base)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "no regression" in done.stdout
    missing = subprocess.run([sys.executable, "-m", "analysis", "compare", str(same), str(base / "nope")],
                             capture_output=True, text=True, env=env, timeout=120)
    assert missing.returncode == 5 and "not a directory" in missing.stderr


def test_too_few_samples_is_reported_not_flagged(runs, tmp_path):
    base, _, _ = runs
    tiny_frame = make_streams(5, seed=4)
    tiny_frame[["first_token", "last_token", "end"]] += 1.0
    tiny = write_run(tmp_path, tiny_frame, PROFILE, loadgen=default_loadgen(), name="tiny")
    compare_command(tiny, base)
    result = json.loads((tiny / "report" / "compare.json").read_text())
    ttft = next(m for m in result["metrics"] if m["metric"] == "ttft_p99")
    assert ttft["beyond_tolerance"] and not ttft["regression"] and ttft["test"] == "too few samples"
    assert "beyond tolerance, untested" in (tiny / "report" / "compare.md").read_text()


def _edit_manifest(run, **fields):
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.update(fields)
    (run / "manifest.json").write_text(json.dumps(manifest))


def test_runs_that_measure_different_things_are_refused_unless_forced(tmp_path, capsys):
    """Regression (issue 12): a smoke load run compared with a node-drain chaos run said "REGRESSION goodput"
    with no word that the profile, target and experiment differ."""
    smoke = write_run(tmp_path / "a", make_streams(400, seed=1), {"name": "smoke"}, loadgen=default_loadgen(),
                      name="smoke")
    _edit_manifest(smoke, target={"host": "http://127.0.0.1:40000"})
    drain_frame = make_streams(400, seed=2)
    fail_streams(drain_frame, drain_frame.index[:40], "truncated")
    drain = write_run(tmp_path / "b", drain_frame, {"name": "chaos-background"}, loadgen=default_loadgen(),
                      name="drain", duration=140.0)
    _edit_manifest(drain, target={"name": "local", "context": "agentflow-local"}, experiments=["node-drain"])
    assert compare_command(drain, smoke) == 5  # BAD INPUT: not comparable
    err = capsys.readouterr().err
    assert "not comparable" in err and "profile: run chaos-background, baseline smoke" in err
    assert "experiments: run ['node-drain'], baseline none" in err and "target:" in err and "duration:" in err
    assert "--force" in err
    assert not (drain / "report" / "compare.md").exists()
    assert compare_command(drain, smoke, force=True) == 1  # compared anyway, with the warning on top
    text = (drain / "report" / "compare.md").read_text()
    assert "WARNING: these runs are not comparable" in text.splitlines()[2]
    assert json.loads((drain / "report" / "compare.json").read_text())["not_comparable"]
