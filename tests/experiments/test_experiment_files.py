"""Every experiment file proves its fault happened: its method records the workload before the first fault and
waits for the fault's effect after the last one, and every wait on a rollout is `rollout_complete` (kubectl's
rule), never chaosk8s' `deployment_fully_available` (readiness counts that lag the restart patch)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from experiments.afchaos.effects.workload import EFFECTS

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
# what each experiment proves happened (the README's experiment table says the same)
PROVES = {"pod-kill": "pods-replaced", "pod-kill-grace0": "pods-replaced", "rolling-restart": "all-pods-replaced",
          "graceful-shutdown": "long-stream-pods-terminated", "node-drain": "nodes-drained",
          "zone-outage": "zone-drained", "zone-outage-hard": "zone-failed", "hpa-scale": "hpa-load",
          "alert-errors": "all-pods-replaced", "alert-latency": "all-pods-replaced", "alert-down": "all-pods-replaced"}
WAITS_FOR_A_ROLLOUT = {"rolling-restart", "node-drain", "graceful-shutdown"}


def method(name: str) -> list[dict]:
    return yaml.safe_load((EXPERIMENTS / f"{name}.yaml").read_text())["method"]


def funcs(steps: list[dict]) -> list[str]:
    return [s["provider"].get("func", "") for s in steps]


def test_every_experiment_file_is_listed():
    assert sorted(p.stem for p in EXPERIMENTS.glob("*.yaml")) == sorted(PROVES)
    assert set(PROVES.values()) <= set(EFFECTS)


@pytest.mark.parametrize("name", sorted(PROVES))
def test_the_method_records_the_workload_then_waits_for_the_effect(name):
    steps = method(name)
    names = funcs(steps)
    actions = [i for i, s in enumerate(steps) if s["type"] == "action"]
    assert names.count("record_workload") == 1 and names.count("fault_took_effect") == 1, names
    assert names.index("record_workload") < min(actions, default=len(steps))
    effect = steps[names.index("fault_took_effect")]
    assert names.index("fault_took_effect") > max(actions, default=-1)
    assert effect["provider"]["module"] == "experiments.afchaos.effects.probes"
    assert effect["provider"]["arguments"]["effect"] == PROVES[name]
    if PROVES[name].startswith("zone"):
        assert effect["provider"]["arguments"]["zone"] == "${agentflow_zone}"


@pytest.mark.parametrize("name", sorted(PROVES))
def test_rollouts_are_awaited_like_kubectl(name):
    text = (EXPERIMENTS / f"{name}.yaml").read_text()
    assert "deployment_fully_available" not in text
    names = funcs(method(name))
    if name in WAITS_FOR_A_ROLLOUT:
        assert names.index("rollout_complete") < names.index("fault_took_effect")
