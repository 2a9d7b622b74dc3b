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


def test_a_hard_fault_declares_itself_where_it_is_defined(tmp_path, monkeypatch):
    from experiments.afchaos.controls.marks import is_hard

    (tmp_path / "my_faults.py").write_text(
        "from experiments.afchaos.hard import hard_fault\n\n\n"
        "@hard_fault\ndef power_off(node: str) -> dict:\n    '''Cut the power of a node.'''\n    return {}\n\n\n"
        "def reboot(node: str) -> dict:\n    return {}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert is_hard({"type": "action", "provider": {"type": "python", "module": "my_faults", "func": "power_off"}})
    assert not is_hard({"type": "action", "provider": {"type": "python", "module": "my_faults", "func": "reboot"}})
    assert not is_hard({"type": "action", "provider": {"type": "python", "module": "no_such_module", "func": "x"}})
