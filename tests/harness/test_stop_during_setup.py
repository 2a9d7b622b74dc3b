"""A stop that lands while a campaign or chaos run is still setting up its observer is an orderly stop: the run
directory is finalised and the command says INTERRUPTED. Before, the signal's exception escaped from the set-up
(outside the `try`) and the process exited 130 with the run directory unfinished (the kill matrix's before-load
SIGTERM case, on a loaded machine)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from analysis import exitcodes
from harness import campaign_cmd, chaos_cmd
from harness.signals import Stopped


class StoppedWhileBuilding:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise Stopped("SIGTERM")


def orderly(fn: Any, *args: Any) -> Any:
    """fn(*args), with the stop's exception escaping it turned into this test's failure (not pytest's abort)."""
    try:
        return fn(*args)
    except KeyboardInterrupt as exc:
        pytest.fail(f"the stop escaped the command's orderly path: {exc!r}")


@pytest.fixture
def finished(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(campaign_cmd.runs, "finish", lambda directory, stop, policy, phase, **f: calls.append(phase))
    return calls


def test_campaign_stopped_while_its_observer_is_built(monkeypatch, tmp_path: Path, finished: list[str]) -> None:
    monkeypatch.setattr(campaign_cmd, "Observer", StoppedWhileBuilding)
    camp = SimpleNamespace(name="c", profile="steady", experiments=[])
    tgt = SimpleNamespace(service_url="http://127.0.0.1:1", api_key=lambda: "k")
    verdicts, error = orderly(campaign_cmd._execute, camp, tgt, tmp_path, SimpleNamespace(dry_run=False),
                              SimpleNamespace(received="SIGTERM"))
    assert (verdicts, error) == ([], None) and finished == ["the load"]
    assert (tmp_path / "chaos" / "verdicts.json").read_text().strip() == "[]"


def test_chaos_stopped_while_its_observer_is_built(monkeypatch, tmp_path: Path, finished: list[str]) -> None:
    monkeypatch.setattr(chaos_cmd, "Observer", StoppedWhileBuilding)
    monkeypatch.setattr(chaos_cmd.runs, "start", lambda *a, **k: None)
    code = orderly(chaos_cmd._run, tmp_path, SimpleNamespace(to_dict=dict), tmp_path / "pod-kill.json",
                   SimpleNamespace(dry_run=False), SimpleNamespace(received="SIGTERM"))
    assert code == exitcodes.INTERRUPTED and finished == ["the experiment"]
