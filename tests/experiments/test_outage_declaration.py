"""An intended outage or error injection declares itself where its action is defined (@intended_outage,
@intended_errors): the fault-marks control writes `intended` into the run's marks from the provider function,
never from the experiment file, and never for a hard fault; pod kills, drains, zone failures and rollouts declare
nothing."""

from __future__ import annotations

import pytest

from analysis.cluster import load_cluster
from experiments.afchaos.controls import marks


def action(module: str, func: str, **arguments) -> dict:
    return {"type": "action", "name": func.replace("_", "-"),
            "provider": {"type": "python", "module": module, "func": func, "arguments": arguments}}


SCALE_TO_ZERO = action("experiments.afchaos.deployment.faults", "scale_to_zero_for", seconds=45)
NOT_OUTAGES = [
    action("chaosk8s.pod.actions", "terminate_pods", label_selector="app=agentflow", grace_period=0),
    action("chaosk8s.pod.actions", "terminate_pods", label_selector="app=agentflow", outage=True),
    action("experiments.afchaos.pod.actions", "terminate_pods_serving_long_streams"),
    action("experiments.afchaos.node.actions", "drain_nodes_respecting_pdb"),
    action("experiments.afchaos.zone.actions", "fail_zone", zone="zone-a"),
    action("chaosk8s.deployment.actions", "rollout_deployment", name="agentflow"),
    action("experiments.afchaos.deployment.faults", "restore_replicas"),
]
KNOBS = [action("experiments.afchaos.deployment.faults", "set_fault_knobs", knobs={"--error-rate": "0.2"}),
         action("experiments.afchaos.deployment.faults", "restore_fault_knobs")]


def test_scale_to_zero_is_the_declared_outage_and_the_error_knob_an_error_injection():
    assert marks.intended(SCALE_TO_ZERO) == "outage" and not marks.is_hard(SCALE_TO_ZERO)
    assert [marks.intended(a) for a in KNOBS] == ["errors", "errors"]


@pytest.mark.parametrize("activity", NOT_OUTAGES, ids=lambda a: a["provider"]["func"])
def test_kills_drains_and_rollouts_declare_nothing(activity):
    assert marks.intended(activity) is None


def test_a_hard_fault_is_never_an_outage(tmp_path, monkeypatch):
    (tmp_path / "my_outages.py").write_text(
        "from experiments.afchaos.hard import hard_fault\nfrom experiments.afchaos.outage import intended_outage\n\n\n"
        "@intended_outage\n@hard_fault\ndef power_off_all() -> dict:\n    return {}\n\n\n"
        "@intended_outage\ndef kill_all(grace_period: int = 30) -> dict:\n    return {}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert marks.intended(action("my_outages", "power_off_all")) is None
    assert marks.intended(action("my_outages", "kill_all", grace_period=0)) is None  # a grace-0 kill is hard
    assert marks.intended(action("my_outages", "kill_all")) == "outage"


def test_the_control_writes_the_declaration_into_the_run_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("AFSUITE_RUN_DIR", str(tmp_path))
    monkeypatch.delenv("AFSUITE_DRY_RUN", raising=False)
    marks.before_experiment_control({"title": "Every pod down pages (AgentFlowDown)"})
    for activity in (SCALE_TO_ZERO, NOT_OUTAGES[2]):
        marks.before_activity_control(activity)
        marks.after_activity_control(activity, {"status": "succeeded"})
    assert marks.write_marks_parquet(tmp_path / "chaos") == 2
    frame = load_cluster(tmp_path, with_streams=False).marks
    assert frame is not None
    assert dict(zip(frame["activity"], frame["intended"], strict=True)) == {
        "scale-to-zero-for": "outage", "terminate-pods-serving-long-streams": None}
    assert set(frame["experiment"]) == {"Every pod down pages (AgentFlowDown)"}
