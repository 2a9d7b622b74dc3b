"""The `afsuite` control (experiments/afchaos/controls/suite.py): every experiment file declares it, and it calls
its parts the way Chaos Toolkit calls a list of controls (order, own arguments, what each names, errors)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import yaml
from chaoslib.control import apply_controls
from chaoslib.exceptions import InterruptExecution, InvalidActivity

from experiments.afchaos.controls import suite

EXPERIMENTS = sorted((Path(__file__).resolve().parents[2] / "experiments").glob("*.yaml"))
SUITE = {"name": "afsuite", "provider": {"type": "python", "module": "experiments.afchaos.controls.suite"}}


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_every_experiment_runs_under_the_suite_control(path):
    controls = yaml.safe_load(path.read_text(encoding="utf-8"))["controls"]
    assert [c["provider"]["module"] for c in controls] == ["experiments.afchaos.controls.suite"]
    suite.validate_control(controls[0])


def test_safety_comes_first_and_cannot_be_left_out():
    assert [name for name, _, _ in suite.parts({})] == ["safety", "load", "marks"]
    assert [name for name, _, _ in suite.parts({"floor": {"min_ready": 1}, "safeguard": {}})] == [
        "safety", "load", "marks", "floor", "safeguard"]


@pytest.mark.parametrize("arguments, message", [({"safety": None}, "unknown argument 'safety'"),
                                                ({"flor": {"min_ready": 2}}, "unknown argument 'flor'"),
                                                ({"floor": 2}, "must be a mapping")])
def test_a_bad_argument_is_refused_by_validation(arguments, message):
    control = {**SUITE, "provider": {**SUITE["provider"], "arguments": arguments}}
    with pytest.raises(InvalidActivity, match=message):
        suite.validate_control(control)


def _part(name: str, calls: list, fail: BaseException | None = None) -> types.ModuleType:
    module = types.ModuleType(name)

    def before_activity_control(context, configuration=None, **kwargs):
        calls.append((name, context["name"], configuration, kwargs))
        if fail is not None:
            raise fail

    module.before_activity_control = before_activity_control
    return module


def _run(monkeypatch, modules: list[types.ModuleType], arguments: dict) -> None:
    monkeypatch.setattr(suite, "PARTS", tuple((m.__name__, m, m.__name__ in ("safety", "marks")) for m in modules))
    experiment = {"controls": [{**SUITE, "provider": {**SUITE["provider"], "arguments": arguments}}]}
    apply_controls("activity", experiment, {"name": "kill-a-pod"}, "before", configuration={"k": "v"})


def test_parts_run_in_order_with_their_own_arguments_through_chaostoolkit(monkeypatch):
    calls: list = []
    modules = [_part(n, calls) for n in ("safety", "load", "marks", "floor", "safeguard")]
    _run(monkeypatch, modules, {"load": {"profile": "p"}, "floor": {"min_ready": 2}})
    assert calls == [("safety", "kill-a-pod", {"k": "v"}, {}), ("load", "kill-a-pod", {"k": "v"}, {"profile": "p"}),
                     ("marks", "kill-a-pod", {"k": "v"}, {}), ("floor", "kill-a-pod", {"k": "v"}, {"min_ready": 2})]


def test_an_interruption_stops_the_rest_and_another_error_does_not(monkeypatch):
    calls: list = []
    modules = [_part("safety", calls, RuntimeError("boom")), _part("load", calls),
               _part("marks", calls, InterruptExecution("refused")), _part("floor", calls)]
    with pytest.raises(InterruptExecution, match="refused"):
        _run(monkeypatch, modules, {"load": {}, "floor": {}})
    assert [c[0] for c in calls] == ["safety", "load", "marks"]
