"""Campaign files (the `target` key, bad input named), the soak command's refusals before anything starts, and
the example CI workflow calling only commands that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.campaign import CAMPAIGNS_DIR, CampaignError, load_campaign

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(p.stem for p in CAMPAIGNS_DIR.glob("*.yaml")))
def test_shipped_campaigns_load_and_target_the_local_cluster(name):
    camp = load_campaign(name)
    assert camp.target is None and (camp.experiments or camp.name == "hpa-range")  # hpa-range: load only
    for step in camp.experiments:
        assert (REPO / "experiments" / f"{step.name}.yaml").is_file(), step.name
    assert [s.at for s in camp.experiments] == sorted(s.at for s in camp.experiments)


def test_campaign_target_file_resolves_from_the_repository_root(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("profile: steady\ntarget: targets/example-eks.yaml\nexperiments: [pod-kill]\n")
    assert load_campaign(str(path)).target == REPO / "targets" / "example-eks.yaml"


@pytest.mark.parametrize(("body", "needle"), [
    ("profile: steady\ntarget: targets/nope.yaml\nexperiments: [pod-kill]\n", "target: no target file"),
    ("profile: steady\ntarget: [1]\nexperiments: [pod-kill]\n", "target: expected `local`"),
    ("profile: steady\nexperiments: [pod-kill]\ntargte: local\n", "unknown key(s) targte"),
    ("target: local\nexperiments: [pod-kill]\n", "profile: required"),
    ("profile: steady\nexperiments: [{name: pod-kill, at: -1}]\n", "experiments[0].at"),
    ("profile: steady\n", "experiments: required"),
    ("profile: steady\nexperiments: pod-kill\n", "experiments: expected a list"),
])
def test_bad_campaign_names_file_and_field(tmp_path, body, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(CampaignError) as err:
        load_campaign(str(path))
    assert needle in str(err.value) and str(path) in str(err.value)


def _afsuite(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd)


def test_a_load_only_campaign_has_no_experiments():
    camp = load_campaign("hpa-range")
    assert camp.experiments == () and camp.profile == "hpa-range" and camp.target is None


def test_soak_refuses_a_bad_duration_before_anything_starts(tmp_path):
    result = _afsuite("soak", "--duration", "forever", "--run-dir", str(tmp_path / "run"), cwd=REPO)
    assert result.returncode == 5  # BAD INPUT
    assert "duration" in result.stderr
    assert not (tmp_path / "run").exists()


def test_soak_refuses_a_profile_without_a_soak_stage(tmp_path):
    result = _afsuite("soak", "--profile", "steady", "--duration", "5m", "--run-dir", str(tmp_path / "run"),
                      cwd=REPO)
    assert result.returncode == 5  # BAD INPUT
    assert "exactly one soak stage" in result.stderr
    assert not (tmp_path / "run").exists()


def test_example_ci_workflow_calls_only_real_targets_and_commands():
    flow = yaml.safe_load((REPO / "deploy" / "ci" / "github-actions-nightly.yml").read_text())
    runs = [s["run"] for job in flow["jobs"].values() for s in job["steps"] if "run" in s]
    makefile = (REPO / "Makefile").read_text()
    for match in re.finditer(r"\bmake((?: [a-z][a-z-]*)+)", "\n".join(runs)):
        for target in match.group(1).split():
            assert f"\n{target}:" in makefile, f"workflow calls `make {target}`, which the Makefile lacks"
    from harness.cli import app

    commands = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    for line in runs:
        if "afsuite " in line:
            cmd = line.split("afsuite ", 1)[1].split()[0]
            assert cmd in commands, f"workflow calls `afsuite {cmd}`, which does not exist"


def test_a_campaign_stopped_before_its_load_started_has_nothing_to_join():
    """Regression (kill matrix, before-load x SIGTERM): a signal between the observer's start and the load's
    start made the cleanup crash with "cannot join thread before it is started" (exit 1 instead of 3)."""
    from harness.campaign import BackgroundLoad

    load = BackgroundLoad(lambda: None)
    load.join(timeout=1)  # never started: returns, does not raise
    assert not load.alive and load.error is None
