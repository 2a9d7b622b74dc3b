"""Report files: well-formed, complete, self-contained, atomic; exit codes of the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from analysis_runs import default_loadgen, default_stages, fail_streams, make_streams, write_run

from analysis.checks import ProfileError
from analysis.cli import report_command
from analysis.report import build_report
from analysis.report.atomic import atomic_writer, write_atomic

REPO = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    """A run with errors (error-rate FAIL), a skipped per-endpoint check and a secret-looking target key."""
    frame = make_streams(400)
    fail_streams(frame, frame.index[:12], "http_error", 429, "RATE_LIMIT")
    fail_streams(frame, frame.index[50:53], "stream_error", 200, "INTERNAL_ERROR")
    profile = {"name": "smoke", "slos": {"ttft_p99": 2.0, "per_endpoint": {"chat_v2": {"e2e_p99": 3}}}}
    run = write_run(
        tmp_path_factory.mktemp("report"), frame, profile, default_stages(), default_loadgen(), name="failing"
    )
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["target"]["api_key"] = "sk-do-not-leak-123"
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run, build_report(run)


def test_outcome_and_files(failing):
    run, outcome = failing
    assert outcome.overall == "fail" and outcome.exit_code == 1
    names = {p.relative_to(run / "report").as_posix() for p in outcome.files}
    assert names == {"report.md", "report.html", "summary.json", "junit.xml", "plots/latency.png",
                     "plots/throughput.png"}
    for path in outcome.files:
        assert path.stat().st_size > 0
    assert not [p for p in (run / "report").rglob("*.tmp")]


def test_junit_has_one_testcase_per_check(failing):
    _, outcome = failing
    root = ET.parse(outcome.report_dir / "junit.xml").getroot()
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [c.name for c in outcome.checks]
    for case, check in zip(cases, outcome.checks, strict=True):
        children = {child.tag for child in case} - {"system-out"}
        assert children == {"fail": {"failure"}, "invalid": {"error"}, "skipped": {"skipped"}, "pass": set()}[
            check.verdict
        ]
    suite = root.find("testsuite")
    assert suite.get("tests") == str(len(cases)) and suite.get("failures") == "1" and suite.get("skipped") == "1"


def test_summary_json(failing):
    _, outcome = failing
    summary = json.loads((outcome.report_dir / "summary.json").read_text())
    assert {"run", "overall_verdict", "exit_code", "checks", "metrics", "verdict_counts"} <= set(summary)
    assert summary["overall_verdict"] == "fail" and summary["exit_code"] == 1
    assert [c["name"] for c in summary["checks"]] == [c.name for c in outcome.checks]
    assert {"name", "verdict", "measured", "threshold", "unit", "evidence"} <= set(summary["checks"][0])
    metrics = summary["metrics"]
    assert metrics["streams"] == 400 and metrics["outcomes"]["http_error"] == 12
    assert metrics["error_rate"] == 15 / 400
    assert metrics["goodput"]["goodput_per_s"] > 0
    assert {row["metric"] for row in metrics["latency_s"]} >= {"ttft", "itl", "tpot", "e2e", "dispatch_lag"}
    assert summary["run"]["name"] == "failing" and summary["run"]["profile"]["slos"]["ttft_p99"] == 2.0


def test_html_is_self_contained_with_the_verdict_and_cards_first(failing):
    _, outcome = failing
    html = outcome.report_html.read_text()
    order = ['id="overall"', 'id="cards"', 'id="attention"', 'id="timeline"', 'id="checks"', "<h2>Run</h2>"]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert 'data-verdict="fail"' in html and 'class="card FAIL" data-family="slo"' in html
    attention = html[html.index('id="attention"'):html.index('id="timeline"')]
    assert 'data-check="slo.error_rate"' in attention and "By outcome" in attention  # full evidence up front
    for check in outcome.checks:
        assert f'data-check="{check.name}"' in html
    assert "<img" not in html  # the timeline replaces the PNGs, which stay in plots/ and report.md
    external = r"""(src|href)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?(https?:)?//|@import"""
    assert not re.search(external, html)  # offline: nothing loaded from anywhere
    assert "uPlot" in html and '<script type="application/json" id="timeline-data">' in html
    for png in (outcome.report_dir / "plots").glob("*.png"):
        assert png.read_bytes().startswith(PNG_MAGIC)


def test_markdown_opens_with_the_verdict_then_families_then_attention(failing):
    _, outcome = failing
    text = outcome.report_md.read_text()
    lines = text.splitlines()
    assert lines[2].startswith("**Overall verdict: FAIL**")
    glance, attention, checks = (lines.index(h) for h in ("## At a glance", "## Needs attention (1)",
                                                          "## Checks by family"))
    assert glance < attention < checks < lines.index("## Metrics")
    assert lines[glance + 2] == "| Family | Status | Key number | Checks |"
    assert any(line.startswith("| SLOs | FAIL | slo.error_rate: 3.75 % (threshold 1 %)") for line in lines)
    assert lines[attention + 2].startswith("### FAIL slo.error_rate: 3.75 % (threshold 1 %)")
    for check in outcome.checks:
        assert f"| {check.name} | {check.verdict.upper()} |" in text
    assert "![latency.png](plots/latency.png)" in text
    assert "first_token - scheduled" in text and "gap_count / len(gap_sample)" in text  # formulas stated


def test_no_secret_in_any_report_file(failing):
    _, outcome = failing
    for path in outcome.files:
        assert b"sk-do-not-leak-123" not in path.read_bytes(), path


def test_exit_codes_of_report_command(tmp_path, capsys):
    passing = write_run(tmp_path / "p", make_streams(120), loadgen=default_loadgen())
    assert report_command(passing) == 0
    out = capsys.readouterr().out
    assert "report.md" in out and "| slo.error_rate | PASS |" in out and "PASS (exit code 0)" in out
    invalid = write_run(tmp_path / "i", make_streams(120), loadgen=default_loadgen(cpu=99.0))
    assert report_command(invalid) == 2
    assert "INVALID" in capsys.readouterr().out
    assert report_command(tmp_path / "nothing-here") == 5  # BAD INPUT (analysis/exitcodes.py)
    assert "not a directory" in capsys.readouterr().err


def test_python_dash_m_analysis_report(failing):
    run, _ = failing
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "report", str(run)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert "| slo.error_rate | FAIL |" in done.stdout


def test_bad_usage_is_not_mistaken_for_an_invalid_run(capsys):
    from analysis.__main__ import main

    assert main([]) == 5 and main(["report"]) == 5  # BAD INPUT, not 2 (INVALID) nor 3 (INTERRUPTED)
    assert "usage" in capsys.readouterr().err


def test_atomic_writer_leaves_old_file_and_no_temp_on_error(tmp_path):
    target = tmp_path / "report.md"
    write_atomic(target, b"old report")
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write(b"half a new rep")
        raise RuntimeError("renderer crashed")
    assert target.read_bytes() == b"old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_failed_build_keeps_the_previous_report(tmp_path):
    run = write_run(tmp_path, make_streams(60))
    first = build_report(run)
    before = {p: p.read_bytes() for p in first.files}
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["profile"] = {"slos": {"ttft_p90": 1}}
    (run / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ProfileError, match="ttft_p90"):
        build_report(run)
    assert {p: p.read_bytes() for p in first.files} == before
    assert not [p for p in (run / "report").rglob("*") if p.name.startswith(".")]


def test_empty_run_still_gets_an_invalid_report(tmp_path):
    run = write_run(tmp_path, make_streams(1).iloc[:0], loadgen=default_loadgen())
    outcome = build_report(run)
    assert outcome.overall == "invalid" and outcome.exit_code == 2
    summary = json.loads((outcome.report_dir / "summary.json").read_text())
    assert summary["checks"][0]["name"] == "validity.streams" and summary["checks"][0]["verdict"] == "invalid"
    assert "no rows" in outcome.report_md.read_text()
