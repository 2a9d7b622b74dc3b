"""`afsuite trend` over 30 nightly runs: a run with an injected latency and error regression is named and makes the
command exit 1 when it is the newest; the same 30 nights with a healthy newest run exit 0 (the test can fail).
Each night's report/summary.json is computed by the real analysis (no plots, to stay cheap)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_runs import default_loadgen, default_stages, fail_streams, make_streams, write_run

from analysis.report.model import analyse
from analysis.report.summary import render_summary
from analysis.rundir import load_for_report
from analysis.trend_cli import trend_command

DAY = 86_400.0
PROFILE = {"name": "nightly", "slos": {"ttft_p99": 2.0, "error_rate": 0.05}}


def night(root: Path, i: int, slower: float = 0.0, errors: int = 0) -> Path:
    frame = make_streams(200, seed=100 + i)
    if slower:  # every stream's first token (and so its end) comes `slower` seconds later
        for column in ("first_token", "last_token", "end"):
            frame[column] += slower
    if errors:
        fail_streams(frame, frame.index[:errors], "http_error", 500, "INTERNAL")
    run = write_run(root, frame, PROFILE, default_stages(), default_loadgen(), name=f"night{i:02d}")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["started"] += i * DAY
    manifest["ended"] += i * DAY
    manifest["status"] = "completed"
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / "report").mkdir()
    (run / "report" / "summary.json").write_text(render_summary(analyse(load_for_report(run))))
    return run


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    root = tmp_path_factory.mktemp("nights")
    history = [night(root / "history", i) for i in range(29)]
    bad = night(root / "bad", 29, slower=0.12, errors=30)
    good = night(root / "good", 29)
    return history, bad, good


def test_a_regression_in_the_newest_run_exits_1_and_is_named(nights, tmp_path, capsys):
    history, bad, _ = nights
    assert trend_command([*history, bad], tmp_path / "out") == 1
    printed = capsys.readouterr().out
    assert "REGRESSION in the newest run 20261125T170000Z-night29" in printed
    data = json.loads((tmp_path / "out" / "trend.json").read_text())
    assert len(data["runs"]) == 30 and data["newest_regressed"] is True
    flagged = {f["metric"] for f in data["runs"][-1]["flags"] if f["kind"] == "regression"}
    assert {"ttft_p95", "error_rate"} <= flagged
    assert not any(f["kind"] == "regression" for r in data["runs"][:-1] for f in r["flags"])
    md = (tmp_path / "out" / "trend.md").read_text()
    assert md.count("| 20261125T170000Z-night") == 30 and "REGRESSION" in md
    html = (tmp_path / "out" / "trend.html").read_text()
    assert 'id="trend-data"' in html and "uPlot" in html and "<img" not in html


def test_a_healthy_newest_run_exits_0(nights, tmp_path, capsys):
    history, _, good = nights
    assert trend_command([*history, good], tmp_path / "out") == 0
    assert "no regression in the newest run" in capsys.readouterr().out


def test_a_directory_of_runs_and_bad_input(nights, tmp_path, capsys):
    history, _, _ = nights
    assert trend_command([history[0].parent], tmp_path / "out") == 0
    assert len(json.loads((tmp_path / "out" / "trend.json").read_text())["runs"]) == 29
    assert trend_command([tmp_path / "missing"], tmp_path / "out") == 5
    assert "not a directory" in capsys.readouterr().err


def test_trend_html_draws_its_charts_in_chromium(nights, tmp_path):
    from cdp import Browser
    from test_report_browser import chromium

    history, bad, _ = nights
    assert trend_command([*history, bad], tmp_path / "out") == 1
    with Browser(chromium(), tmp_path / "profile") as browser:
        browser.open((tmp_path / "out" / "trend.html").as_uri(), 1400, 900)
        charts = browser.wait_for("document.getElementById('charts').getAttribute('data-ready')")
        assert int(charts) >= 4  # TTFT, E2E, error rate, goodput (this run has no cluster metrics)
        assert browser.console_errors() == []
        assert "REGRESSION" in browser.evaluate("document.getElementById('verdict').textContent")
        assert browser.evaluate("document.querySelectorAll('#runs tbody tr.regressed').length") == 1
