"""The run's status decides the verdict before any check, with distinct exit codes, and junit.xml says the same
(issue 12: a safety refusal, an interrupted run and a failed check all exited 1; bad input exited 2 like INVALID).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from analysis_runs import T0, default_loadgen, make_streams, write_run

from analysis import exitcodes
from analysis.cli import report_command
from analysis.report import build_report


def _with(run, **fields):
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.update(fields)
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


@pytest.mark.parametrize(("fields", "verdict", "code", "junit"), [
    ({}, "pass", 0, None),
    ({"status": "interrupted", "interrupted": {"signal": "SIGTERM", "time": T0 + 30, "phase": "experiment x"}},
     "interrupted", 3, "Interrupted"),
    ({"status": "running"}, "interrupted", 3, "Interrupted"),  # afsuite was killed: never finalised
    ({"ended": None}, "interrupted", 3, "Interrupted"),
    ({"status": "refused", "refused": {"reason": "max_pods=1"}}, "refused", 4, "Refused"),
    ({"status": "dry-run", "dry_run": True}, "dry-run", 0, "skipped"),
])
def test_the_run_status_decides_the_verdict_and_exit_code(tmp_path, fields, verdict, code, junit):
    run = _with(write_run(tmp_path, make_streams(120), loadgen=default_loadgen()), **fields)
    outcome = build_report(run)
    assert outcome.overall == verdict and outcome.exit_code == code == exitcodes.BY_VERDICT[verdict]
    suite = ET.parse(run / "report" / "junit.xml").getroot().find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["afsuite.exit_code"] == str(code) and props["afsuite.verdict"] == verdict.replace("-", " ").upper()
    status = [c for c in suite.findall("testcase") if c.get("name") == "run.status"]
    if junit is None:
        assert not status
    elif junit == "skipped":
        assert status[0].find("skipped") is not None
    else:
        assert status[0].find("error").get("type") == junit
    summary = json.loads((run / "report" / "summary.json").read_text())
    assert summary["overall_verdict"] == verdict and summary["exit_code"] == code


def test_an_interrupted_run_is_never_pass_or_fail_and_says_why(tmp_path, capsys):
    run = _with(write_run(tmp_path, make_streams(120), loadgen=default_loadgen()), status="interrupted",
                interrupted={"signal": "SIGHUP", "time": T0 + 12.0, "phase": "the load"})
    assert report_command(run) == 3
    out = capsys.readouterr().out
    assert "INTERRUPTED: the run was interrupted (SIGHUP at t+12 s during the load)" in out
    assert "**Overall verdict: INTERRUPTED**" in (run / "report" / "report.md").read_text()


def test_the_exit_codes_are_distinct_and_listed():
    codes = [code for code, _, _ in exitcodes.TABLE]
    assert codes == sorted(set(codes)) == [0, 1, 2, 3, 4, 5]
    for code, name, _ in exitcodes.TABLE:
        assert f"{code} {name}" in exitcodes.help_text()
