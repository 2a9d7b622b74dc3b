"""The verdict pipeline: one ordered list of checks, found from the CHECKS of analysis/checks/ modules, each
with the one signature check(ctx) -> list[CheckResult]; adding a check is its module (and its test)."""

from __future__ import annotations

import inspect
import sys

import pytest
from analysis_runs import make_streams, write_run

import analysis.checks
from analysis import pipeline
from analysis.rundir import load_for_report

NEW_CHECK = '''
from analysis.checks.context import Check, CheckContext
from analysis.checks.result import CheckResult, Evidence


def check(ctx: CheckContext) -> list[CheckResult]:
    before = [r.name for r in ctx.results]
    return [CheckResult("example.after_slos", "pass", len(before), None, "checks",
                        Evidence("ran after " + ", ".join(sorted({n.split(".")[0] for n in before}))), kind="example")]


CHECKS = (Check(25, "example", check),)
'''


@pytest.fixture
def fresh_registry():
    pipeline.registered_checks.cache_clear()
    yield
    pipeline.registered_checks.cache_clear()


def test_every_check_has_the_one_signature_and_a_unique_place(fresh_registry):
    checks = pipeline.registered_checks()
    assert [c.order for c in checks] == sorted(c.order for c in checks)
    assert [c.name for c in checks][:3] == ["validity", "slo", "phases"]
    for check in checks:
        assert list(inspect.signature(check.run).parameters) == ["ctx"], check.name


def test_a_new_check_module_is_all_it_takes(tmp_path, monkeypatch, fresh_registry):
    extra = tmp_path / "extra_checks"
    extra.mkdir()
    (extra / "example_check.py").write_text(NEW_CHECK, encoding="utf-8")
    monkeypatch.setattr(analysis.checks, "__path__", [*analysis.checks.__path__, str(extra)])
    monkeypatch.delitem(sys.modules, "analysis.checks.example_check", raising=False)
    run = load_for_report(write_run(tmp_path / "run", make_streams(50)))
    checks = pipeline.verdicts(run).checks
    names = [c.name for c in checks]
    assert "example.after_slos" in names
    position = names.index("example.after_slos")
    assert all(n.startswith(("validity.", "slo.")) for n in names[:position])
    assert checks[position].evidence.sentence == "ran after slo, validity"


def test_two_checks_in_one_place_are_refused(tmp_path, monkeypatch, fresh_registry):
    extra = tmp_path / "extra_checks"
    extra.mkdir()
    (extra / "clash_check.py").write_text(NEW_CHECK.replace("Check(25,", "Check(20,"), encoding="utf-8")
    monkeypatch.setattr(analysis.checks, "__path__", [*analysis.checks.__path__, str(extra)])
    monkeypatch.delitem(sys.modules, "analysis.checks.clash_check", raising=False)
    with pytest.raises(RuntimeError, match=r"two checks declare the same order: \['20'\]"):
        pipeline.registered_checks()


def test_the_architecture_docs_example_check_is_a_working_module(tmp_path, monkeypatch, fresh_registry):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text(encoding="utf-8")
    code = doc.split("### a check", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    extra = tmp_path / "extra_checks"
    extra.mkdir()
    (extra / "restarts.py").write_text(code, encoding="utf-8")
    monkeypatch.setattr(analysis.checks, "__path__", [*analysis.checks.__path__, str(extra)])
    monkeypatch.delitem(sys.modules, "analysis.checks.restarts", raising=False)
    declared = {c.name: c for c in pipeline.registered_checks()}["restarts"]
    assert declared.cluster and declared.sampled
    names = [c.name for c in pipeline.registered_checks()]
    assert names.index("placement") < names.index("restarts") < names.index("collateral")
