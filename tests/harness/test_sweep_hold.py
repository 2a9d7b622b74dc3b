"""The sweep's hold decision and its CPU per pod, without a cluster (milliseconds): a change the sweep needs on a
cluster that is not the local one is refused before any request; a workload already held needs no change; the
level's CPU is the mean over pods of the samples whose metrics window lies inside the level."""

from __future__ import annotations

import math

import pytest

from experiments.afchaos.policy import Refused
from harness.sweep_cluster import PodCpu, Workload, hold


class NoCalls:
    """Any request fails the test: the decision must come before the first one."""

    def call(self, *args: object, **kwargs: object) -> dict:
        raise AssertionError(f"unexpected request {args}")


def workload(bounds: tuple[int | None, int] | None, replicas: int = 3) -> Workload:
    return Workload("agentflow", "agentflow", "app=agentflow", replicas, 500.0, "agentflow" if bounds else None,
                    bounds)


@pytest.mark.parametrize("bounds, replicas", [((3, 20), 3), (None, 3), ((2, 2), 3)])
def test_a_needed_change_on_a_cluster_that_is_not_local_is_refused_before_any_request(bounds, replicas):
    work = workload(bounds, replicas)
    with pytest.raises(Refused, match="--hold-hpa"):
        hold(NoCalls(), work, 2, may_change=False, echo=print)  # type: ignore[arg-type]
    assert work.changed == []


@pytest.mark.parametrize("bounds", [(2, 2), None])
def test_a_workload_already_held_needs_no_change(bounds):
    work = workload(bounds, replicas=2)
    hold(NoCalls(), work, 2, may_change=False, echo=print)  # type: ignore[arg-type]
    assert work.changed == []


def test_level_cpu_is_the_mean_over_pods_of_samples_inside_the_level():
    cpu = PodCpu(NoCalls(), workload((3, 20)))  # type: ignore[arg-type]
    cpu.samples = [(100.0, "a", 250.0, 3.0), (103.0, "a", 350.0, 3.0), (103.0, "a", 350.0, 3.0),  # a repeat
                   (101.0, "b", 100.0, 3.0),
                   (98.0, "a", 5000.0, 3.0), (128.0, "b", 5000.0, 3.0)]  # windows reaching outside the level
    util, pods = cpu.utilization(100.0, 130.0)
    assert pods == {"a": pytest.approx(0.6), "b": pytest.approx(0.2)}
    assert util == pytest.approx(0.4)
    assert math.isnan(cpu.utilization(200.0, 230.0)[0])


@pytest.mark.parametrize("args, named", [
    (["--variant", "good", "--state-dir", "/nonexistent"], "--variant"),
    (["--replicas", "0"], "--replicas"),
])
def test_options_that_cannot_go_together_are_refused_before_anything_starts(args, named, tmp_path):
    from typer.testing import CliRunner

    from harness.cli import app

    result = CliRunner().invoke(app, ["sweep", *args, "--run-dir", str(tmp_path / "run")])
    assert result.exit_code != 0 and named in result.output, result.output
    assert not (tmp_path / "run").exists()


def test_a_dry_run_starts_and_changes_nothing(tmp_path):
    from typer.testing import CliRunner

    from harness.cli import app

    result = CliRunner().invoke(app, ["sweep", "--dry-run", "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 0 and "DRY RUN" in result.output and "nothing started" in result.output, result.output
    assert list((tmp_path / "run").iterdir()) == []
